import { parseGlobalId } from '../../src/common/global-id.js';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import { GraphQLClient, ClientError } from 'graphql-request';
import { createClient, type Client } from 'graphql-ws';
import { pino } from 'pino';
import { afterAll, beforeAll, inject } from 'vitest';
import WebSocket from 'ws';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { configSchema } from '../../src/config.js';
import { executionSettings } from '../../src/modules/execution/settings.js';
import type { ExecutorSettings } from '../../src/modules/execution/task-executor.js';
import type { CallPolicyOptions } from '../../src/providers/resilience.js';
import { composeLab, type Lab } from '../../src/app/lab.js';
import type { Services } from '../../src/app/modules.js';
import type { UploadLimits } from '../../src/modules/datasets/datasets.service.js';
import { LocalBlobStore, S3BlobStore, type BlobStore } from '../../src/storage/blobs/index.js';
import { startWorker } from '../../src/workflow/worker.js';
import { SecretBox } from '../../src/common/secret-box.js';
import type { RoleName } from '../../src/modules/auth/viewer.js';
import type { RateLimitSettings } from '../../src/server/rate-limits.js';
import type { SheddingSettings } from '../../src/server/load-shedding.js';
import type { JwtSettings } from '../../src/modules/auth/jwt.js';
import { createLabServer, type LabServer } from '../../src/server/app.js';
import { connectDatabase, type Database } from '../../src/storage/postgres.js';
import { createLabPubSub } from '../../src/storage/pubsub.js';
import type { MetricStore } from '../../src/modules/metrics/metric-store.js';
import type { MetricWriterOptions } from '../../src/modules/metrics/metric-writer.js';
import { ClickHouseMetricStore } from '../../src/modules/metrics/metrics.clickhouse.js';
import { PostgresMetricStore } from '../../src/modules/metrics/metrics.postgres.js';
import { ownClickHouse, type OwnClickHouse } from './clickhouse.js';
import { createClickHouse } from '../../src/storage/clickhouse.js';

export interface TestLab {
  /** The modules, built as the composition root builds them. */
  core: Lab;
  services: Services;
  server: LabServer;
  /** The server's base URL. */
  url: string;
  /** The blob store the lab writes to (not the wrapper, when the test gave one). */
  blobs: BlobStore;
  database: Database;
  /** The box the lab seals model API keys with. */
  secrets: SecretBox;
  /** Its key as LAB_SECRET_KEY, for worker processes of the test's own. */
  secretKeyHex: string;
  databaseUrl: string;
  /** The folder of the local blob store (LAB_DATA_DIR/blobs for a worker process sharing it); null on S3. */
  blobRoot: string | null;
  graphqlUrl: string;
  wsUrl: string;
  /** The metric store the lab writes to (not the wrapper, when the test gave one). */
  metricStore: MetricStore;
  /** The lab's ClickHouse database, when it uses one. */
  clickhouse: OwnClickHouse | null;
  /** SQL statements sent since the lab started. */
  statements(): number;
  /** The text of the statements sent since `statements()` returned `mark` (at most the last 1,000 are kept). */
  statementTextsSince(mark: number): string[];
  /** A new project with a key of the given role, and a client speaking with that key. */
  newProject(role?: RoleName): Promise<TestProject>;
  close(): Promise<void>;
}

export interface TestProject {
  projectId: string;
  key: string;
  client: GraphQLClient;
  /** Another key of the same project. */
  keyWithRole(role: RoleName): Promise<{ key: string; client: GraphQLClient }>;
}

export interface TestLabOptions {
  /** Where files go: a temporary folder served by the lab (default), or a bucket of its own on the test S3 server. */
  blobs?: 'local' | 's3';
  /** Runs the background jobs in process, on a database of the lab's own so no other lab's worker takes its jobs. */
  worker?: boolean;
  /** Another API process: this lab's server over that lab's database (its Redis too, when both use it). */
  sameDatabaseAs?: TestLab;
  /** Which jobs the in-process worker runs (default all), by name. */
  jobs?: (name: string) => boolean;
  /** A database of the lab's own, cloned from the migrated template (implied by worker). */
  isolated?: boolean;
  uploads?: Partial<UploadLimits>;
  /** Puts a blob store of the test's own between the lab and the real one (to slow or break it). */
  wrapBlobs?: (store: BlobStore) => BlobStore;
  /** Connections in the lab's pool (default 5). */
  poolSize?: number;
  /** Executor and call policy settings over the test defaults (short backoffs). */
  execution?: { executor?: Partial<ExecutorSettings>; policy?: Partial<CallPolicyOptions> };
  /** Where metric points go: PostgreSQL (default, as `npm start`) or a ClickHouse database of the lab's own. */
  metrics?: 'postgres' | 'clickhouse';
  /** Puts a metric store of the test's own between the lab and the real one (to count or break its calls). */
  wrapMetrics?: (store: MetricStore) => MetricStore;
  /** graphql-ws keep-alive of the server (its default when unset). */
  wsKeepAliveMs?: number;
  /** Where the lab reaches ClickHouse, when not directly (a proxy of the test's own, to cut it off). */
  clickhouseUrl?: string;
  /** The metric writer's batching, over the test default (flush every 50 ms). */
  metricWriter?: Partial<MetricWriterOptions>;
  /** Pub/sub over Redis (TEST_REDIS_URL, default redis://127.0.0.1:6379), as API processes share it; default in process unless TEST_REDIS_URL is set. */
  redis?: boolean;
  /** Rate limits per API key (off unless given: most tests call faster than a person would). */
  rateLimits?: RateLimitSettings;
  /** Identity-provider tokens accepted beside API keys (off unless given). */
  jwt?: JwtSettings;
  /** Load shedding bounds (off unless given). */
  shedding?: SheddingSettings;
  /** Where the lab reaches Redis when `redis` is set (a proxy of the test's own, to cut it off); default TEST_REDIS_URL. */
  redisUrl?: string;
}

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

const TEST_UPLOADS: UploadLimits = {
  maxUploadBytes: 256 * 1024 ** 2,
  maxRowBytes: 1024 ** 2,
  multipartThresholdBytes: 16 * 1024 ** 2,
  partSizeBytes: 8 * 1024 ** 2,
};

/** A database of its own, cloned from the run's migrated template; dropped by the returned function. */
export async function ownDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${inject('templateDatabase').replace(/_template$/, '')}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(inject('adminDatabaseUrl'), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name} template ${inject('templateDatabase')}`);
  const url = new URL(inject('adminDatabaseUrl'));
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

function testBlobStore(kind: 'local' | 's3'): { root: string | null; create: (serverUrl: () => string) => BlobStore; ready: (store: BlobStore) => Promise<void>; cleanup: () => Promise<void> } {
  if (kind === 's3') {
    const store = new S3BlobStore({
      endpoint: inject('s3Endpoint'),
      region: 'us-east-1',
      bucket: `lab-${randomBytes(6).toString('hex')}`,
      ...inject('s3Credentials'),
      forcePathStyle: true,
    });
    return { root: null, create: () => store, ready: () => store.ensureBucket(), cleanup: async () => {} };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'lab-data-'));
  const root = join(dataDir, 'blobs');
  return {
    root,
    create: (serverUrl) => new LocalBlobStore({ root, publicBaseUrl: serverUrl, signingSecret: randomBytes(32) }),
    ready: async () => {},
    cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** The real server on a free port over the test database: real HTTP, real WebSocket. */
export async function startTestLab(options: TestLabOptions = {}): Promise<TestLab> {
  let statements = 0;
  const texts: string[] = [];
  const own = options.sameDatabaseAs ? null : options.worker || options.isolated ? await ownDatabase() : null;
  // The driver's own catalog query on each new pool connection is not the application's round-trip.
  const countStatement = (query: string) => {
    if (query.includes('pg_catalog.pg_type')) return;
    statements++;
    if (texts.push(query) > 1000) texts.shift();
  };
  const databaseUrl = options.sameDatabaseAs?.databaseUrl ?? own?.url ?? inject('databaseUrl');
  const database = connectDatabase(databaseUrl, { poolSize: options.poolSize ?? 5, onQuery: countStatement });
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const redisUrl = options.redisUrl ?? TEST_REDIS_URL;
  const { pubsub, close: closePubSub } = createLabPubSub(options.redis ? redisUrl : process.env.TEST_REDIS_URL, logger);
  const blobStore = testBlobStore(options.blobs ?? 'local');
  const uploads = { ...TEST_UPLOADS, ...options.uploads };
  let url = '';
  const blobs = blobStore.create(() => url);
  await blobStore.ready(blobs);
  const secretKey = randomBytes(32);
  const secrets = new SecretBox(secretKey);
  const redis = options.redis ? new Redis(redisUrl) : null;
  redis?.on('error', () => {}); // a test that cuts Redis off sees the retries in the lab's own clients' logs
  const execution = executionSettings(configSchema.shape.worker.parse({}), {
    // Stopping a test lab waits at most 1 s for calls in flight (production: LAB_WORKER_STOP_GRACE_SECONDS).
    executor: { stopGraceMs: 1_000, ...options.execution?.executor },
    policy: { initialDelayMs: 20, maxDelayMs: 500, timeoutMs: 5_000, halfOpenAfterMs: 1_000, ...options.execution?.policy },
  });
  const clickhouse = options.metrics === 'clickhouse' ? await ownClickHouse() : null;
  // A client of the store's own: the store closes it with the lab, before the database is dropped.
  const metricStore: MetricStore = clickhouse
    ? new ClickHouseMetricStore(createClickHouse({ url: options.clickhouseUrl ?? clickhouse.url }), clickhouse.database)
    : new PostgresMetricStore(database.db);
  const metrics = { store: options.wrapMetrics?.(metricStore) ?? metricStore, writer: { flushMs: 50, ...options.metricWriter } };
  const core = composeLab({ database, pubsub, logger, secrets, blobs: options.wrapBlobs?.(blobs) ?? blobs, uploads, execution, redis, metrics, jwt: options.jwt ?? null });
  const server = await createLabServer(core, { production: false, wsKeepAliveMs: options.wsKeepAliveMs, rateLimits: options.rateLimits, shedding: options.shedding });
  url = await server.listen(0, '127.0.0.1');
  const worker = options.worker ? startWorker(core.jobs.filter((job) => options.jobs?.(job.name) ?? true), pubsub, logger) : null;
  const graphqlUrl = `${url}/graphql`;
  const lab: TestLab = {
    core,
    services: core.services,
    server,
    url,
    blobs,
    database,
    secrets,
    secretKeyHex: secretKey.toString('hex'),
    databaseUrl,
    metricStore,
    clickhouse,
    blobRoot: blobStore.root,
    graphqlUrl,
    wsUrl: graphqlUrl.replace(/^http/, 'ws'),
    statements: () => statements,
    statementTextsSince: (mark) => {
      const sent = statements - mark;
      if (sent > texts.length) throw new Error(`${sent} statements since the mark, more than the ${texts.length} kept`);
      return texts.slice(texts.length - sent);
    },
    async newProject(role: RoleName = 'ADMIN') {
      const project = await core.services.projects.create(`test-${randomBytes(4).toString('hex')}`);
      const keyWithRole = async (r: RoleName) => {
        const { secret } = await core.services.auth.createKey(project.id, `test ${r.toLowerCase()}`, r);
        return { key: secret, client: httpClient(graphqlUrl, secret) };
      };
      const { key, client } = await keyWithRole(role);
      return { projectId: project.id, key, client, keyWithRole };
    },
    async close() {
      await worker?.stop();
      await server.stop();
      await core.close();
      await clickhouse?.drop();
      await closePubSub();
      await redis?.quit();
      await database.close();
      await own?.drop();
      await blobStore.cleanup();
    },
  };
  return lab;
}

export function httpClient(url: string, key?: string): GraphQLClient {
  return new GraphQLClient(url, { headers: key ? { authorization: `Bearer ${key}` } : {} });
}

export function wsClient(url: string, key?: string): Client {
  return createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: key ? { authorization: `Bearer ${key}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

export interface GraphQLErrorSeen {
  message: string;
  code: unknown;
  extensions: Record<string, unknown>;
  status: number;
}

/** The first GraphQL error of a request that must fail; throws if it succeeded. */
export async function graphqlError(request: Promise<unknown>): Promise<GraphQLErrorSeen> {
  try {
    await request;
  } catch (err) {
    if (err instanceof ClientError && err.response.errors?.length) {
      const first = err.response.errors[0]!;
      return { message: first.message, code: first.extensions?.code, extensions: first.extensions ?? {}, status: err.response.status };
    }
    throw err;
  }
  throw new Error('The request succeeded; an error was expected');
}

/** A typed subscription over graphql-ws: the results as an async iterator. */
export function subscribe<TResult, TVariables extends Record<string, unknown>>(
  client: Client,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
): AsyncIterableIterator<ExecutionResult<TResult>> {
  return client.iterate({ query: print(document), variables }) as AsyncIterableIterator<ExecutionResult<TResult>>;
}

/**
 * A lab for the whole file and a project with a key of `role`, set up before its tests and
 * closed after them: `const t = useTestLab('RESEARCHER')`, then `t.lab` and `t.project` in tests.
 */
export function useTestLab(role: RoleName = 'ADMIN', options: TestLabOptions = {}): { lab: TestLab; project: TestProject } {
  const fixture = {} as { lab: TestLab; project: TestProject };
  beforeAll(async () => {
    fixture.lab = await startTestLab(options);
    fixture.project = await fixture.lab.newProject(role);
  });
  afterAll(() => fixture.lab?.close());
  return fixture;
}

/** Another worker over the lab's database: its own pool, modules and executor, as a second worker process would have. */
export async function startExtraWorker(lab: TestLab): Promise<{ stop(): Promise<void> }> {
  const database = connectDatabase(lab.databaseUrl, { poolSize: 5 });
  const core = composeLab({ ...lab.core.parts, database });
  const worker = startWorker(core.jobs, core.parts.pubsub, core.parts.logger);
  return {
    async stop() {
      await worker.stop();
      await database.close();
    },
  };
}

/** The database id inside a global ID of any type. */
export const rowId = (globalId: string): string => {
  const parsed = parseGlobalId(globalId);
  if (!parsed) throw new Error(`not a global ID: ${globalId}`);
  return parsed.id;
};
