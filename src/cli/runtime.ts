import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { SecretBox } from '../common/secret-box.js';
import type { Config } from '../config.js';
import { startServer, type LabServer } from '../server/app.js';
import { startEmbeddedPostgres } from '../storage/embedded-postgres.js';
import { connectDatabase, migrateDatabase, type Database } from '../storage/postgres.js';
import { createLabPubSub } from '../storage/pubsub.js';
import { loadOrCreateSecretKey } from './secret-key.js';

export interface Runtime {
  database: Database;
  databaseUrl: string;
  embedded: boolean;
  server?: LabServer;
  /** Stops in reverse order of start: server, pub/sub, database pool, embedded PostgreSQL. */
  stop(): Promise<void>;
}

/** `dev` mode: every store may fall back to its embedded default in LAB_DATA_DIR. */
export async function startRuntime(
  config: Config,
  logger: Logger,
  options: { mode: 'dev' | 'serve'; migrate: boolean },
): Promise<Runtime> {
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
      if (!dev) throw new Error('DATABASE_URL: required for `llm-lab serve`; `llm-lab dev` runs an embedded PostgreSQL instead.');
      const embedded = await startEmbeddedPostgres(dataDir, logger);
      stops.push(embedded.stop);
      databaseUrl = embedded.url;
    }
    if (options.migrate) await migrateDatabase(databaseUrl);
    const database = connectDatabase(databaseUrl, { poolSize: config.postgres.DATABASE_POOL_SIZE });
    stops.push(database.close);
    const secrets = new SecretBox(loadOrCreateSecretKey(config.lab.LAB_SECRET_KEY, dev ? dataDir : null));
    const { pubsub, close } = createLabPubSub(config.redis.REDIS_URL);
    stops.push(close);
    const server = await startServer(
      { database, pubsub, secrets, logger, production: config.server.NODE_ENV === 'production' },
      { port: config.server.PORT, host: config.server.HOST },
    );
    stops.push(server.stop);
    return { database, databaseUrl, embedded: !config.postgres.DATABASE_URL, server, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
