import { Field, ObjectType } from 'type-graphql';
import type { ExperimentRow } from '../../db/schema.js';
import { toGlobalId } from '../../common/global-id.js';
import { connectionType } from '../common/connection.js';
import { DateTime, Node } from '../common/node.types.js';

@ObjectType('Experiment', { simpleResolvers: true, implements: Node, description: 'A question under study; its runs are the attempts to answer it.' })
export class Experiment extends Node {
  /** The database row, for field resolvers; not a GraphQL field. */
  row!: ExperimentRow;

  @Field(() => String, { description: 'Short name, unique enough for people to tell experiments apart.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'What the experiment is about.' })
  description!: string | null;

  @Field(() => String, { nullable: true, description: 'What the researcher expects to find.' })
  hypothesis!: string | null;

  @Field(() => [String], { description: 'Free-form labels for filtering.' })
  tags!: string[];

  @Field(() => Boolean, { description: 'Archived experiments are left out of lists unless includeArchived is true.' })
  archived!: boolean;

  @Field(() => DateTime, { description: 'When it was created.' })
  createdAt!: Date;

  @Field(() => DateTime, { description: 'When its name, description, hypothesis, tags or archived state last changed.' })
  updatedAt!: Date;

  static fromRow(row: ExperimentRow): Experiment {
    return Object.assign(new Experiment(), {
      id: toGlobalId('Experiment', row.id),
      row,
      name: row.name,
      description: row.description,
      hypothesis: row.hypothesis,
      tags: row.tags,
      archived: row.archivedAt !== null,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    });
  }
}

export const ExperimentConnection = connectionType(Experiment, 'Experiment');
