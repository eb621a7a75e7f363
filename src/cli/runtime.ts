import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { SecretBox } from '../common/secret-box.js';
import type { Config } from '../config.js';
import type { UploadLimits } from '../modules/datasets/datasets.service.js';
import { startServer, type LabServer } from '../server/app.js';
import { LocalBlobStore, S3BlobStore, type BlobStore } from '../storage/blobs/index.js';
import { startEmbeddedPostgres } from '../storage/embedded-postgres.js';
import { connectDatabase, migrateDatabase, type Database } from '../storage/postgres.js';
import { createLabPubSub, type LabPubSub } from '../storage/pubsub.js';
import { workerJobs } from '../workflow/jobs.js';
import { startWorker } from '../workflow/worker.js';
import { loadOrCreateSecretKey } from './secret-key.js';

export type Mode = 'dev' | 'serve' | 'worker';

export interface Runtime {
  database: Database;
  databaseUrl: string;
  embedded: boolean;
  blobs: BlobStore;
  server?: LabServer;
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

/** S3 when S3_BUCKET is set; otherwise a folder in LAB_DATA_DIR whose URLs this server signs and serves. */
function blobStoreFactory(config: Config, secretKey: Buffer): { kind: 's3' | 'local'; create: (serverUrl: string) => BlobStore } {
  const s3 = config.s3;
  if (s3.S3_BUCKET) {
    const store = new S3BlobStore({
      endpoint: s3.S3_ENDPOINT,
      region: s3.S3_REGION,
      bucket: s3.S3_BUCKET,
      accessKeyId: s3.S3_ACCESS_KEY_ID,
      secretAccessKey: s3.S3_SECRET_ACCESS_KEY,
      forcePathStyle: s3.S3_FORCE_PATH_STYLE,
    });
    return { kind: 's3', create: () => store };
  }
  return {
    kind: 'local',
    create: (serverUrl) =>
      new LocalBlobStore({
        root: join(resolve(config.lab.LAB_DATA_DIR), 'blobs'),
        publicBaseUrl: config.server.PUBLIC_URL ?? serverUrl,
        // A key of its own, derived so that leaking a URL signature says nothing of LAB_SECRET_KEY.
        signingSecret: createHmac('sha256', secretKey).update('local-blob-urls').digest(),
        maxObjectBytes: config.datasets.LAB_MAX_UPLOAD_BYTES,
      }),
  };
}

function startJobs(database: Database, blobs: BlobStore, pubsub: LabPubSub, config: Config, logger: Logger) {
  return startWorker(workerJobs(database.db, blobs, config.datasets.LAB_MAX_ROW_BYTES, logger), pubsub, logger);
}

/**
 * Starts what a mode needs: `dev` everything in one process with embedded defaults, `serve` the
 * HTTP server, `worker` the background jobs.
 */
export async function startRuntime(config: Config, logger: Logger, options: { mode: Mode; migrate: boolean }): Promise<Runtime> {
  const dev = options.mode === 'dev';
  const dataDir = resolve(config.lab.LAB_DATA_DIR);
  if (dev) mkdirSync(dataDir, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch((err) => logger.warn({ err }, 'while stopping'));
  };
  try {
    let databaseUrl = config.postgres.DATABASE_URL;
    if (!databaseUrl) {
      if (!dev) throw new Error(`DATABASE_URL: required for \`llm-lab ${options.mode}\`; \`llm-lab dev\` runs an embedded PostgreSQL instead.`);
      const embedded = await startEmbeddedPostgres(dataDir, logger);
      stops.push(embedded.stop);
      databaseUrl = embedded.url;
    }
    if (options.migrate) await migrateDatabase(databaseUrl);
    const database = connectDatabase(databaseUrl, { poolSize: config.postgres.DATABASE_POOL_SIZE });
    stops.push(database.close);
    const secretKey = loadOrCreateSecretKey(config.lab.LAB_SECRET_KEY, dev ? dataDir : null);
    const { pubsub, close } = createLabPubSub(config.redis.REDIS_URL, logger);
    stops.push(close);
    const blobFactory = blobStoreFactory(config, secretKey);

    if (options.mode === 'worker') {
      const blobs = blobFactory.create(config.server.PUBLIC_URL ?? `http://localhost:${config.server.PORT}`);
      const worker = startJobs(database, blobs, pubsub, config, logger);
      stops.push(worker.stop);
      return { database, databaseUrl, embedded: false, blobs, stop };
    }

    const server = await startServer(
      {
        database,
        pubsub,
        secrets: new SecretBox(secretKey),
        logger,
        production: config.server.NODE_ENV === 'production',
        blobs: blobFactory.create,
        uploads: uploadLimits(config),
      },
      { port: config.server.PORT, host: config.server.HOST },
    );
    stops.push(server.stop);
    if (dev && server.blobs instanceof S3BlobStore) await server.blobs.ensureBucket();
    if (dev) {
      const worker = startJobs(database, server.blobs, pubsub, config, logger);
      stops.push(worker.stop);
    }
    return { database, databaseUrl, embedded: !config.postgres.DATABASE_URL, blobs: server.blobs, server, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
