import { Field, InputType } from 'type-graphql';
import { OptionalNonBlankText, OptionalTags, OptionalText, RequiredText } from '../common/validation.js';

@InputType('CreateExperimentInput', { description: 'A new experiment.' })
export class CreateExperimentInput {
  @Field(() => String, { description: 'Required; 1 to 200 characters, not only spaces.' })
  @RequiredText(200)
  name!: string;

  @Field(() => String, { nullable: true, description: 'At most 10,000 characters.' })
  @OptionalText(10_000)
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'At most 10,000 characters.' })
  @OptionalText(10_000)
  hypothesis?: string | null;

  @Field(() => [String], { nullable: true, description: 'At most 50 tags of at most 64 characters each.' })
  @OptionalTags()
  tags?: string[] | null;
}

@InputType('UpdateExperimentInput', { description: 'The fields to change; omitted fields stay as they are.' })
export class UpdateExperimentInput {
  @Field(() => String, { nullable: true, description: '1 to 200 characters, not only spaces.' })
  @OptionalNonBlankText(200)
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'At most 10,000 characters.' })
  @OptionalText(10_000)
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'At most 10,000 characters.' })
  @OptionalText(10_000)
  hypothesis?: string | null;

  @Field(() => [String], { nullable: true, description: 'Replaces all tags.' })
  @OptionalTags()
  tags?: string[] | null;
}
