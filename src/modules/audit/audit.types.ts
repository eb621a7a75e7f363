import { Field, ID, ObjectType } from 'type-graphql';
import type { AuditEventRow } from '../../db/schema.js';
import { toGlobalId } from '../../common/global-id.js';
import { connectionType } from '../common/connection.js';
import { DateTime, Node } from '../common/node.types.js';

@ObjectType('AuditEvent', { simpleResolvers: true, implements: Node, description: 'One mutation as it was attempted: who, what, when, and how it ended.' })
export class AuditEvent extends Node {
  /** The key's row id, for the actor field; not a GraphQL field. */
  actorApiKeyId!: string | null;

  @Field(() => String, { description: 'Who: `api-key:<name>` for a key (kept even if the key goes), or a token\'s subject.' })
  actorName!: string;

  @Field(() => String, { description: 'The mutation field, e.g. startRun.' })
  action!: string;

  @Field(() => [ID], { description: 'Global ids the mutation named in its arguments or returned; never other argument values.' })
  targetIds!: string[];

  @Field(() => String, { description: 'OK, or the error code it ended with (FORBIDDEN, BAD_USER_INPUT, RATE_LIMITED, ...).' })
  outcome!: string;

  @Field(() => String, { description: 'The request id, as in the logs and the error shown to the caller.' })
  requestId!: string;

  @Field(() => DateTime, { description: 'When the attempt ended.' })
  createdAt!: Date;

  static fromRow(row: AuditEventRow): AuditEvent {
    return Object.assign(new AuditEvent(), {
      id: toGlobalId('AuditEvent', row.id),
      actorApiKeyId: row.actorApiKeyId,
      actorName: row.actorName,
      action: row.action,
      targetIds: row.targetIds,
      outcome: row.outcome,
      requestId: row.requestId,
      createdAt: row.createdAt,
    });
  }
}

export const AuditEventConnection = connectionType(AuditEvent, 'AuditEvent');
