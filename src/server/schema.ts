import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, type NonEmptyArray } from 'type-graphql';
import { pino } from 'pino';
import { modules } from '../app/modules.js';
import { authChecker } from '../modules/auth/authorization.js';
import { callFieldResolversDirectly, callSubscriptionResolversDirectly } from './direct-field-resolvers.js';
import { createLabPubSub, type LabPubSub } from '../storage/pubsub.js';

/**
 * The executable schema from the modules' resolver classes; root fields carry their role with
 * `@Authorized` (src/modules/auth/authorization.ts). The server adds rate limits and the audit log
 * to the root fields (src/server/app.ts). Subscriptions subscribe through
 * context.pubsub, the same object as `pubsub` here.
 */
export async function buildLabSchema(pubsub: LabPubSub, resolvers: Function[] = modules.flatMap((m) => [...m.resolvers])): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: resolvers as unknown as NonEmptyArray<Function>,
    pubSub: pubsub,
    authChecker,
    validate: { forbidUnknownValues: false },
    emitSchemaFile: false,
  });
  callFieldResolversDirectly(schema);
  callSubscriptionResolversDirectly(schema, resolvers);
  return schema;
}

/** The SDL committed as schema/schema.graphql. */
export async function printLabSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildLabSchema(createLabPubSub(undefined, pino({ level: 'silent' })).pubsub)))}\n`;
}
