import { join } from 'node:path';
import { Column, is, noopDecoder, sql as sqlFragment, SQL } from 'drizzle-orm';
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

  /** The statement of this shape, built on first use: `build` calls drizzle's `.prepare()`; its rows are mapped by a compiled mapper. */
  protected prepared<T>(shape: string, build: () => T): T {
    let statement = this.statements.get(shape) as T | undefined;
    if (statement === undefined) {
      statement = withCompiledRowMapper(build());
      this.statements.set(shape, statement);
    }
    return statement;
  }
}

/** A decoder of one column: the row value (never null) to the value drizzle would give. */
type Decode = (value: unknown) => unknown;

/** The fields drizzle keeps on a prepared select or `returning()` (internal, stable since 0.29): where each value goes and what decodes it. */
interface PreparedInternals {
  fields?: { path: string[]; field: unknown }[];
  joinsNotNullableMap?: Record<string, boolean>;
  customResultMapper?: (rows: unknown[][]) => unknown;
}

/** What maps a driver value of `field` the way drizzle's `mapResultRow` does: null when that is the value itself, undefined for a field it does not know. */
function decoderOf(field: unknown): Decode | null | undefined {
  let decoder: { mapFromDriverValue: Decode };
  if (is(field, Column)) decoder = field;
  // `decoder` is internal to drizzle's SQL: what `.mapWith()` set.
  else if (is(field, SQL)) decoder = (field as unknown as { decoder: typeof decoder }).decoder;
  else if (is(field, SQL.Aliased)) decoder = (field.sql as unknown as { decoder: typeof decoder }).decoder;
  else return undefined;
  const map = decoder.mapFromDriverValue;
  // Text, uuid, enum columns and unmapped SQL keep the driver's value.
  if (map === Column.prototype.mapFromDriverValue || map === noopDecoder.mapFromDriverValue) return null;
  return map.bind(decoder);
}

/**
 * Maps rows as drizzle does, but from a function built once per statement: drizzle's
 * `mapResultRow` walks every field of every row with `is()` class checks and a reduce, about a
 * tenth of the console page's CPU; this is one object literal per row. Hand-written because
 * drizzle has no compiled mapping; covered against drizzle's own in test/storage/row-mapper.test.ts.
 * Returns null for shapes it does not handle (joins, nested paths), which drizzle keeps mapping.
 */
export function compileRowMapper(fields: NonNullable<PreparedInternals['fields']>): ((rows: unknown[][]) => object[]) | null {
  if (fields.length === 0 || fields.some((f) => f.path.length !== 1)) return null;
  const keys = fields.map((f) => f.path[0]!);
  if (new Set(keys).size !== keys.length) return null;
  const decoders = fields.map((f) => decoderOf(f.field));
  if (decoders.includes(undefined)) return null;
  const values = keys.map((key, i) => `${JSON.stringify(key)}: ${decoders[i] ? `r[${i}] === null ? null : d[${i}](r[${i}])` : `r[${i}]`}`);
  const mapRow = new Function('d', `return function mapRow(r) { return { ${values.join(', ')} }; }`)(decoders) as (row: unknown[]) => object;
  return (rows) => {
    const mapped = new Array<object>(rows.length);
    for (let i = 0; i < rows.length; i++) mapped[i] = mapRow(rows[i]!);
    return mapped;
  };
}

/** `statement` with drizzle's row mapping replaced by a compiled one, where its shape allows. */
function withCompiledRowMapper<T>(statement: T): T {
  const internals = statement as PreparedInternals;
  // joinsNotNullableMap only nulls nested objects of joins, which compileRowMapper leaves to drizzle.
  if (!internals || typeof internals !== 'object' || !internals.fields || internals.customResultMapper) return statement;
  const mapper = compileRowMapper(internals.fields);
  if (mapper) internals.customResultMapper = mapper;
  return statement;
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
