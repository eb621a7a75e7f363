import { ArrayMaxSize, IsOptional, Matches, MaxLength } from 'class-validator';

const NOT_BLANK = /\S/;

/** Applies several property decorators as one; messages name the property they guard. */
function all(...decorators: ((name: string) => PropertyDecorator)[]): PropertyDecorator {
  return (target, key) => decorators.forEach((d) => d(String(key))(target, key));
}

const notBlank = (name: string) => Matches(NOT_BLANK, { message: `${name} must not be empty` });
const atMost = (max: number) => (name: string) => MaxLength(max, { message: `${name} must be at most ${max.toLocaleString('en-US')} characters` });

/** A required string that is not only spaces, at most `max` characters. */
export const RequiredText = (max: number) => all(notBlank, atMost(max));

/** An optional string, at most `max` characters. */
export const OptionalText = (max: number) => all(() => IsOptional(), atMost(max));

/** An optional string that, when given, is not only spaces. */
export const OptionalNonBlankText = (max: number) => all(() => IsOptional(), notBlank, atMost(max));

/** Optional free-form labels: at most 50, each 1 to 64 characters. */
export const OptionalTags = () =>
  all(
    () => IsOptional(),
    (name) => ArrayMaxSize(50, { message: `${name} must hold at most 50 tags` }),
    (name) => MaxLength(64, { each: true, message: `each of ${name} must be at most 64 characters` }),
    (name) => Matches(NOT_BLANK, { each: true, message: `${name} must not contain empty tags` }),
  );
