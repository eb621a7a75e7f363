import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { buildSchema } from 'type-graphql';
import { createPubSub } from '@graphql-yoga/subscription';
import type { LabPubSub } from '../storage/pubsub.js';
import { ArtifactResolver, RunArtifactsResolver } from '../modules/artifacts/artifacts.resolver.js';
import { ApiKeyResolver, ViewerResolver } from '../modules/auth/auth.resolver.js';
import { DatasetResolver, DatasetVersionResolver } from '../modules/datasets/datasets.resolver.js';
import { permissions } from '../modules/auth/permissions.js';
import { ExperimentResolver } from '../modules/experiments/experiments.resolver.js';
import { ModelResolver } from '../modules/models/models.resolver.js';
import { NodeResolver } from '../modules/node/node.resolver.js';
import { PromptResolver, PromptVersionResolver } from '../modules/prompts/prompts.resolver.js';
import { ExperimentRunsResolver, RunResolver } from '../modules/runs/runs.resolver.js';

const resolvers = [
  NodeResolver,
  ViewerResolver,
  ApiKeyResolver,
  ExperimentResolver,
  ExperimentRunsResolver,
  ModelResolver,
  PromptResolver,
  PromptVersionResolver,
  RunResolver,
  DatasetResolver,
  DatasetVersionResolver,
  ArtifactResolver,
  RunArtifactsResolver,
] as const;

/**
 * The schema as type-graphql builds it from the classes, before authorization is applied.
 * Subscriptions subscribe through context.pubsub, the same object as `pubsub` here.
 */
export function buildBareSchema(pubsub: LabPubSub): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    pubSub: pubsub,
    validate: { forbidUnknownValues: false },
    emitSchemaFile: false,
  });
}

/** The executable schema: every root field behind the graphql-shield role rules. */
export async function buildLabSchema(pubsub: LabPubSub): Promise<GraphQLSchema> {
  return applyMiddleware(await buildBareSchema(pubsub), permissions);
}

/** The SDL committed as schema/schema.graphql. */
export async function printLabSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildBareSchema(createPubSub())))}\n`;
}
