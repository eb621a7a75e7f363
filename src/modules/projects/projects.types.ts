import { Field, ObjectType } from 'type-graphql';
import type { ProjectRow } from '../../db/schema.js';
import { toGlobalId } from '../../common/global-id.js';
import { DateTime, Node } from '../common/node.types.js';

@ObjectType('Project', { simpleResolvers: true, implements: Node, description: 'A team\'s space: every object and API key belongs to one project.' })
export class Project extends Node {
  @Field(() => String, { description: 'The project\'s name.' })
  name!: string;

  @Field(() => DateTime, { description: 'When it was created.' })
  createdAt!: Date;

  static fromRow(row: ProjectRow): Project {
    return Object.assign(new Project(), { id: toGlobalId('Project', row.id), name: row.name, createdAt: row.createdAt });
  }
}
