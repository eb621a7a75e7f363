import { join } from 'node:path';
import { sql as sqlFragment, type SQL } from 'drizzle-orm';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as schema from '../db/schema.js';
import { packageRoot } from '../common/package-root.js';
import { traceStatements, tracingEnabled } from '../observability/tracing.js';

export type Db = PostgresJsDatabase<typeof schema>;
/** An open transaction; repos take it wherever they take a Db. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** What a repo runs its statements on: the pool, or the transaction a service opened. */
export type Executor = Db | Tx;

/**
 * A repo runs on the pool, or on a transaction a service opened: `repo.in(tx)`. Its hot
 * statements are built once per shape (`this.prepared`) with placeholders, so drizzle builds no
 * SQL per call and PostgreSQL parses and plans each text once per connection.
 */
export abstract class Repo {
  private readonly statements = new Map<string, unknown>();

  constructor(protected readonly db: Executor) {}

  /** The same repo, running its statements inside `tx`. */
  in(tx: Tx): this {
    return new (this.constructor as new (db: Executor) => this)(tx);
  }

  /** The statement of this shape, built on first use: `build` calls drizzle's `.prepare()`. */
  protected prepared<T>(shape: string, build: () => T): T {
    let statement = this.statements.get(shape) as T | undefined;
    if (statement === undefined) {
      statement = build();
      this.statements.set(shape, statement);
    }
    return statement;
  }
}

/** `column = any($name::uuid[])`: one statement text for any number of ids, where `IN ($1, ..., $n)` changes with n. */
export const anyId = (column: PgColumn, placeholder: string): SQL => sqlFragment`${column} = any(${sqlFragment.placeholder(placeholder)}::uuid[])`;

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
  if (tracingEnabled()) traceStatements(sql);
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
