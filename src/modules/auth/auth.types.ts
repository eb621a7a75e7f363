import { Field, ObjectType, registerEnumType } from 'type-graphql';
import type { ApiKeyRow } from '../../db/schema.js';
import { toGlobalId } from '../../common/global-id.js';
import { enumObject } from '../common/enums.js';
import { DateTime, Node } from '../common/node.types.js';
import { Project } from '../projects/projects.types.js';
import { roles, type RoleName } from './viewer.js';

export const Role = enumObject(roles);
registerEnumType(Role, {
  name: 'Role',
  description: 'What an API key may do; each role includes the ones before it.',
  valuesConfig: {
    VIEWER: { description: 'Read everything in the project.' },
    RESEARCHER: { description: 'Also create and start things.' },
    ADMIN: { description: 'Also manage API keys.' },
  },
});

@ObjectType('Viewer', { simpleResolvers: true, description: 'The caller, as its API key identifies it.' })
export class ViewerInfo {
  projectRowId!: string;

  @Field(() => Project, { description: 'The project the key belongs to.' })
  project!: Project;

  @Field(() => Role, { description: 'The key\'s role.' })
  role!: RoleName;

  @Field(() => String, { description: 'Who is calling, as shown in logs: api-key:<name>.' })
  subject!: string;
}

@ObjectType('ApiKey', { simpleResolvers: true, implements: Node, description: 'A key for the API; the secret itself is never shown again after creation.' })
export class ApiKey extends Node {
  @Field(() => String, { description: 'What the key is for.' })
  name!: string;

  @Field(() => Role, { description: 'What the key may do.' })
  role!: RoleName;

  @Field(() => String, { description: 'The first characters of the key, to recognise it.' })
  prefix!: string;

  @Field(() => DateTime, { description: 'When it was created.' })
  createdAt!: Date;

  @Field(() => DateTime, { nullable: true, description: 'When it was last used, to the minute.' })
  lastUsedAt!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When it was revoked; a revoked key is refused at once.' })
  revokedAt!: Date | null;

  static fromRow(row: ApiKeyRow): ApiKey {
    return Object.assign(new ApiKey(), {
      id: toGlobalId('ApiKey', row.id),
      name: row.name,
      role: row.role,
      prefix: row.prefix,
      createdAt: row.createdAt,
      lastUsedAt: row.lastUsedAt,
      revokedAt: row.revokedAt,
    });
  }
}

@ObjectType('CreatedApiKey', { simpleResolvers: true, description: 'A new key and its secret, shown this once.' })
export class CreatedApiKey {
  @Field(() => ApiKey, { description: 'The key.' })
  apiKey!: ApiKey;

  @Field(() => String, { description: 'The secret to send as "Authorization: Bearer <secret>"; only its hash is stored.' })
  secret!: string;
}
