import { Field, Int, ObjectType } from 'type-graphql';
import type { PromptRow, PromptVersionRow } from '../../db/schema.js';
import { toGlobalId } from '../../common/global-id.js';
import { connectionType } from '../common/connection.js';
import { DateTime, Node } from '../common/node.types.js';

@ObjectType('Prompt', { simpleResolvers: true, implements: Node, description: "A prompt's versions are immutable; templates use mustache syntax over the dataset row's input fields." })
export class Prompt extends Node {
  /** The database row, for field resolvers; not a GraphQL field. */
  row!: PromptRow;

  @Field(() => String, { description: 'Name in this project, unique.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'What the prompt is for.' })
  description!: string | null;

  @Field(() => DateTime, { description: 'When it was created.' })
  createdAt!: Date;

  static fromRow(row: PromptRow): Prompt {
    return Object.assign(new Prompt(), {
      id: toGlobalId('Prompt', row.id),
      row,
      name: row.name,
      description: row.description,
      createdAt: row.createdAt,
    });
  }
}

@ObjectType('PromptVersion', { simpleResolvers: true, implements: Node, description: 'One immutable version of a prompt.' })
export class PromptVersion extends Node {
  /** The database row, for field resolvers; not a GraphQL field. */
  row!: PromptVersionRow;

  @Field(() => Int, { description: 'Numbered from 1 within its prompt.' })
  version!: number;

  @Field(() => String, { nullable: true, description: 'The system message, also a mustache template.' })
  system!: string | null;

  @Field(() => String, { description: "The user message: a mustache template over the row's input fields." })
  template!: string;

  @Field(() => [String], { description: 'The input fields the system message and template read, in order of first use.' })
  variables!: string[];

  @Field(() => DateTime, { description: 'When it was created.' })
  createdAt!: Date;

  static fromRow(row: PromptVersionRow): PromptVersion {
    return Object.assign(new PromptVersion(), {
      id: toGlobalId('PromptVersion', row.id),
      row,
      version: row.version,
      system: row.system,
      template: row.template,
      variables: row.variables,
      createdAt: row.createdAt,
    });
  }
}

export const PromptConnection = connectionType(Prompt, 'Prompt');
export const PromptVersionConnection = connectionType(PromptVersion, 'PromptVersion');
