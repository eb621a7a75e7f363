import { Matches, Min } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { RequiredText } from '../common/validation.js';

@InputType('CreateArtifactUploadInput', { description: 'A file to keep with a run.' })
export class CreateArtifactUploadInput {
  @Field(() => ID, { description: 'The run the file belongs to.' })
  runId!: string;

  @Field(() => String, { description: 'File name, 1 to 200 characters without "/", unique within the run.' })
  @RequiredText(200)
  @Matches(/^[^/\\]+$/, { message: 'name must not contain "/" or "\\"' })
  name!: string;

  @Field(() => String, { description: 'MIME type, e.g. application/json or image/png.' })
  @Matches(/^[\w.+-]+\/[\w.+-]+(\s*;\s*[\w.+-]+=[\w.+-]+)*$/, { message: 'contentType must be a MIME type such as text/plain or image/png' })
  contentType!: string;

  @Field(() => Int, { description: 'Exact size in bytes, at least 1.' })
  @Min(1, { message: 'sizeBytes must be at least 1' })
  sizeBytes!: number;
}
