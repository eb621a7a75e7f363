import { join } from 'node:path';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as schema from '../db/schema.js';
import { packageRoot } from '../common/package-root.js';

export type Db = PostgresJsDatabase<typeof schema>;
/** An open transaction; repos take it wherever they take a Db. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** What a repo runs its statements on: the pool, or the transaction a service opened. */
export type Executor = Db | Tx;

/** A repo runs on the pool, or on a transaction a service opened: `repo.in(tx)`. */
export abstract class Repo {
  constructor(protected readonly db: Executor) {}

  /** The same repo, running its statements inside `tx`. */
  in(tx: Tx): this {
    return new (this.constructor as new (db: Executor) => this)(tx);
  }
}

export interface Database {
  db: Db;
  sql: postgres.Sql;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  poolSize?: number;
  /** Called once per statement sent; tests count round-trips with it. */
  onQuery?: (query: string) => void;
}

export function connectDatabase(url: string, options: DatabaseOptions = {}): Database {
  const sql = postgres(url, {
    max: options.poolSize ?? 10,
    onnotice: () => {},
    debug: options.onQuery ? (_connection, query) => options.onQuery!(query) : undefined,
  });
  return { sql, db: drizzle(sql, { schema }), close: () => sql.end({ timeout: 5 }) };
}

/** Arbitrary but fixed: every process migrating the same database takes this lock first. */
const MIGRATION_LOCK = 7_020_411;

/** Applies drizzle/ migrations; safe to run from several processes at once (advisory lock). */
export async function migrateDatabase(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migrate(drizzle(sql), { migrationsFolder: join(packageRoot(), 'drizzle') });
    await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export async function isDatabaseReachable(sql: postgres.Sql): Promise<boolean> {
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  }
}

/** True when err (or the driver error drizzle wraps) is a unique-constraint violation. */
export function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === '23505') return true;
  }
  return false;
}
