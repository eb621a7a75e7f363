import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ExecutionSettings } from '../modules/execution/settings.js';
import type { SecretBox } from '../common/secret-box.js';
import type { UploadLimits } from '../modules/datasets/datasets.service.js';
import type { BlobStore } from '../storage/blobs/index.js';
import type { Db } from '../storage/postgres.js';
import type { LabPubSub } from '../storage/pubsub.js';
import type { MetricStore } from '../modules/metrics/metric-store.js';
import type { MetricWriterOptions } from '../modules/metrics/metric-writer.js';
import type { Job } from '../workflow/worker.js';
import type { JwtSettings } from '../modules/auth/jwt.js';

/** What every module is built from: the stores, and the services of the modules it calls. */
export interface ModuleDeps {
  db: Db;
  pubsub: LabPubSub;
  secrets: SecretBox;
  blobs: BlobStore;
  uploads: UploadLimits;
  execution: ExecutionSettings;
  /** Shared limits across processes (provider requests per minute); null runs them in this process only. */
  redis: Redis | null;
  /** Where metric points go (ClickHouse or PostgreSQL), and how they are batched on the way. */
  metrics: MetricSettings;
  /** Identity-provider tokens accepted beside API keys; null or absent, API keys only. */
  jwt?: JwtSettings | null;
  logger: Logger;
  /** Another module's service, built once whichever module asks first. */
  service<S>(module: LabModule<string, S, unknown>): S;
}

export interface MetricSettings {
  store: MetricStore;
  writer?: Partial<MetricWriterOptions>;
}

/** How node(id:) reads one GraphQL type: through the named project-scoped loader, mapped like any field. */
export interface NodeSpec {
  loader: string;
  fromRow: (row: never) => object;
}

/** What a built module contributes at run time. */
export interface ModuleParts<S, L> {
  service: S;
  /** The module's DataLoaders for one request, scoped to the caller's project. */
  loaders?: (projectId: string) => L;
  /** Background jobs the worker runs. */
  jobs?: Job[];
  /** On shutdown, after the server and worker stopped and before the stores close: write what is buffered. */
  close?: (timeoutMs: number) => Promise<void>;
}

/** A domain module, as the composition root (src/app/modules.ts) lists it. */
export interface LabModule<Name extends string, S, L> {
  readonly name: Name;
  /** type-graphql resolver classes. */
  readonly resolvers: readonly Function[];
  /** The GraphQL types of the module that implement Node, by type name. */
  readonly nodes?: Readonly<Record<string, NodeSpec>>;
  build(deps: ModuleDeps): ModuleParts<S, L>;
}

export function defineModule<Name extends string, S, L = object>(module: LabModule<Name, S, L>): LabModule<Name, S, L> {
  return module;
}
