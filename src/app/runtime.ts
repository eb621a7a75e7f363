import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { executionSettings } from '../modules/execution/settings.js';
import { seedDemo, type DemoSeed } from '../cli/demo.js';
import { loadOrCreateSecretKey } from '../cli/secret-key.js';
import { SecretBox } from '../common/secret-box.js';
import type { Config } from '../config.js';
import type { UploadLimits } from '../modules/datasets/datasets.service.js';
import { createLabServer, type LabServer } from '../server/app.js';
import { rateLimitSettings } from '../server/rate-limits.js';
import { sheddingSettings } from '../server/load-shedding.js';
import { jwtSettings } from '../modules/auth/jwt.js';
import { shutdownTracing } from '../observability/tracing.js';
import { serveMetrics } from '../observability/metrics.js';
import { LocalBlobStore, S3BlobStore, type BlobStore } from '../storage/blobs/index.js';
import { startEmbeddedPostgres } from '../storage/embedded-postgres.js';
import { connectDatabase, migrateDatabase } from '../storage/postgres.js';
import { createLabPubSub } from '../storage/pubsub.js';
import { endAllLeases } from '../workflow/leases.js';
import { startWorker } from '../workflow/worker.js';
import { composeLab, type Lab } from './lab.js';
import { openMetricStore } from './metric-store.js';

export type Mode = 'dev' | 'serve' | 'worker';

export interface Runtime {
  lab: Lab;
  databaseUrl: string;
  embedded: boolean;
  /** The server's base URL (not in `worker` mode). */
  url?: string;
  /** `dev` only: the demo project and its admin key. */
  seed?: DemoSeed;
  /** Where Prometheus metrics are served, when METRICS_PORT is set. */
  metricsUrl?: string;
  /** Stops in reverse order of start: worker and server, pub/sub, database pool, embedded PostgreSQL. */
  stop(): Promise<void>;
}

export function uploadLimits(config: Config): UploadLimits {
  const d = config.datasets;
  return {
    maxUploadBytes: d.LAB_MAX_UPLOAD_BYTES,
    maxRowBytes: d.LAB_MAX_ROW_BYTES,
    multipartThresholdBytes: d.LAB_MULTIPART_THRESHOLD_BYTES,
    partSizeBytes: d.LAB_MULTIPART_PART_BYTES,
  };
}

/** S3 when S3_BUCKET is set; otherwise a folder in LAB_DATA_DIR whose URLs the server signs and serves. */
function createBlobStore(config: Config, secretKey: Buffer, serverUrl: () => string): BlobStore {
  const s3 = config.s3;
  if (s3.S3_BUCKET) {
    return new S3BlobStore({
      endpoint: s3.S3_ENDPOINT,
      region: s3.S3_REGION,
      bucket: s3.S3_BUCKET,
      accessKeyId: s3.S3_ACCESS_KEY_ID,
      secretAccessKey: s3.S3_SECRET_ACCESS_KEY,
      forcePathStyle: s3.S3_FORCE_PATH_STYLE,
    });
  }
  return new LocalBlobStore({
    root: join(resolve(config.lab.LAB_DATA_DIR), 'blobs'),
    publicBaseUrl: config.server.PUBLIC_URL ?? serverUrl,
    // A key of its own, derived so that leaking a URL signature says nothing of LAB_SECRET_KEY.
    signingSecret: createHmac('sha256', secretKey).update('local-blob-urls').digest(),
    maxObjectBytes: config.datasets.LAB_MAX_UPLOAD_BYTES,
  });
}

/** `dev` serves this machine only, unless HOST says otherwise. */
function hostFor(config: Config, mode: Mode): string {
  return mode === 'dev' && !process.env.HOST?.trim() ? '127.0.0.1' : config.server.HOST;
}

/** A failure to listen on `port`, said with what to do about it. */
function listenError(err: unknown, port: number, host: string, variable = 'PORT'): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return new Error(`port ${port} on ${host} is already in use by another program; stop it, or choose another port: ${variable}=${port + 1} (${variable}=0 picks a free one).`);
  if (code === 'EACCES') return new Error(`port ${port} on ${host} may not be used by this user; choose another port, e.g. ${variable}=${port >= 1024 ? port + 1 : 4000}.`);
  return err;
}

/** Refuses a port another program holds before the slow part of the start. */
async function ensurePortFree(port: number, host: string): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (err) => reject(listenError(err, port, host)));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/**
 * The composition root of the long-running commands: builds the stores, the modules, then (not in
 * `worker` mode) the server, seeds the demo (`dev`), and only then listens; `dev` and `worker`
 * also run the background jobs.
 */
export async function startRuntime(config: Config, logger: Logger, options: { mode: Mode; migrate: boolean }): Promise<Runtime> {
  const dev = options.mode === 'dev';
  const dataDir = resolve(config.lab.LAB_DATA_DIR);
  if (dev) mkdirSync(dataDir, { recursive: true });
  const host = hostFor(config, options.mode);
  if (options.mode !== 'worker') await ensurePortFree(config.server.PORT, host);
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch((err) => logger.warn({ err }, 'while stopping'));
  };
  // Tracing started in src/main.ts, before the modules it instruments loaded; its spans are exported last.
  stops.push(shutdownTracing);
  try {
    let databaseUrl = config.postgres.DATABASE_URL;
    let afterCrash = false;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres(dataDir, logger);
      stops.push(embedded.stop);
      databaseUrl = embedded.url;
      afterCrash = embedded.afterCrash;
    }
    if (options.migrate) await migrateDatabase(databaseUrl);
    const database = connectDatabase(databaseUrl, { poolSize: config.postgres.DATABASE_POOL_SIZE });
    stops.push(database.close);
    if (afterCrash) {
      // The killed process's work died with it (its PostgreSQL was stopped, no one else reaches this one): resume it now, not when its leases run out.
      const ended = await endAllLeases(database.sql);
      if (ended > 0) logger.warn({ leases: ended }, 'the previous start was killed; the work it held is resumed');
    }
    const secretKey = loadOrCreateSecretKey(config.lab.LAB_SECRET_KEY, dev ? dataDir : null);
    const { pubsub, close } = createLabPubSub(config.redis.REDIS_URL, logger);
    stops.push(close);
    let server: LabServer | undefined;
    // A worker signs no URL a client uses at once; the server's own address once it listens.
    const serverUrl = () => server?.url() ?? `http://localhost:${config.server.PORT}`;
    const blobs = createBlobStore(config, secretKey, serverUrl);
    if (dev && blobs instanceof S3BlobStore) await blobs.ensureBucket();
    const redis = config.redis.REDIS_URL ? new Redis(config.redis.REDIS_URL, { maxRetriesPerRequest: 3 }) : null;
    if (redis) {
      redis.on('error', (err) => logger.warn({ err }, 'redis connection error; retrying'));
      stops.push(async () => void (await redis.quit()));
    }
    const metricStore = await openMetricStore(config.clickhouse, database, { migrate: options.migrate });
    const lab = composeLab({
      database,
      pubsub,
      secrets: new SecretBox(secretKey),
      blobs,
      uploads: uploadLimits(config),
      execution: executionSettings(config.worker),
      redis,
      metrics: { store: metricStore },
      jwt: jwtSettings(config.jwt),
      logger,
    });
    // Runs after the worker and server stopped (stops run in reverse): buffered metric points are written.
    stops.push(() => lab.close());

    let url: string | undefined;
    let seed: DemoSeed | undefined;
    if (options.mode !== 'worker') {
      server = await createLabServer(lab, { production: config.server.NODE_ENV === 'production', rateLimits: rateLimitSettings(config.limits), shedding: sheddingSettings(config.limits) });
      stops.push(server.stop);
      // Seeded before listening: a script that waits for /healthz can use the demo key at once.
      if (dev) seed = await seedDemo(lab.services, dataDir, config.lab.LAB_ADMIN_API_KEY);
      url = await server.listen(config.server.PORT, host).catch((err: unknown) => {
        throw listenError(err, config.server.PORT, host);
      });
    }
    if (options.mode !== 'serve') {
      const worker = startWorker(lab.jobs, pubsub, logger);
      stops.push(worker.stop);
    }
    let metricsUrl: string | undefined;
    if (config.server.METRICS_PORT !== undefined) {
      const metrics = await serveMetrics(config.server.METRICS_PORT, host).catch((err: unknown) => {
        throw listenError(err, config.server.METRICS_PORT!, host, 'METRICS_PORT');
      });
      // Stopped first, so a scrape during shutdown finds the port closed rather than a half-stopped process.
      stops.push(metrics.close);
      metricsUrl = metrics.url;
      logger.info({ url: metricsUrl }, 'Prometheus metrics served');
    }
    return { lab, databaseUrl, embedded: !config.postgres.DATABASE_URL, url, seed, metricsUrl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
