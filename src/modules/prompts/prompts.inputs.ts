import { Field, ID, InputType } from 'type-graphql';
import { OptionalText, RequiredText } from '../common/validation.js';

@InputType('CreatePromptInput', { description: 'A new prompt and its version 1.' })
export class CreatePromptInput {
  @Field(() => String, { description: 'Name in this project, unique; 1 to 200 characters.' })
  @RequiredText(200)
  name!: string;

  @Field(() => String, { nullable: true, description: 'At most 10,000 characters.' })
  @OptionalText(10_000)
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'System message (mustache), at most 100,000 characters.' })
  @OptionalText(100_000)
  system?: string | null;

  @Field(() => String, { description: "User message (mustache over the row's input fields), 1 to 100,000 characters." })
  @RequiredText(100_000)
  template!: string;
}

@InputType('CreatePromptVersionInput', { description: 'The next version of a prompt.' })
export class CreatePromptVersionInput {
  @Field(() => ID, { description: 'The prompt to add a version to.' })
  promptId!: string;

  @Field(() => String, { nullable: true, description: 'System message (mustache), at most 100,000 characters.' })
  @OptionalText(100_000)
  system?: string | null;

  @Field(() => String, { description: "User message (mustache over the row's input fields), 1 to 100,000 characters." })
  @RequiredText(100_000)
  template!: string;
}
