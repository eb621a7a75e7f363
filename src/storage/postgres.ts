import { join } from 'node:path';
import { Column, is, noopDecoder, sql as sqlFragment, SQL } from 'drizzle-orm';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { PgTimestamp, type PgColumn } from 'drizzle-orm/pg-core';
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

/** The digit at `at`, or -1 for any other character (or past the end). */
function digitAt(text: string, at: number): number {
  const code = text.charCodeAt(at) - 48;
  return code >= 0 && code <= 9 ? code : -1;
}
/** The two-digit number at `at`, or -1 when either is not a digit. */
function twoDigitsAt(text: string, at: number): number {
  const tens = digitAt(text, at);
  const ones = digitAt(text, at + 1);
  return tens < 0 || ones < 0 ? -1 : tens * 10 + ones;
}
/** Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146_097 + yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear - 719_468;
}

/**
 * PostgreSQL's text of a timestamp (ISO DateStyle: `2025-01-09 22:54:55.710123+00`, an offset
 * only `withTimezone`) as the Date `new Date(text)` gives, read by position in a third of the
 * time V8's parser takes for this form. Returns undefined for any other form (years before 1000,
 * BC, infinity, offsets with seconds), which the caller parses as drizzle does. Hand-written: no
 * library reads this one form; test/storage/row-mapper.test.ts compares it with drizzle's on PostgreSQL's own output.
 */
export function parsePgTimestamp(text: string, withTimezone: boolean): Date | undefined {
  if (text.length < 19 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 32 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
  const century = twoDigitsAt(text, 0);
  const yearOfCentury = twoDigitsAt(text, 2);
  const month = twoDigitsAt(text, 5);
  const day = twoDigitsAt(text, 8);
  const hour = twoDigitsAt(text, 11);
  const minute = twoDigitsAt(text, 14);
  const second = twoDigitsAt(text, 17);
  if (century < 10 || yearOfCentury < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  let at = 19;
  let ms = 0;
  if (text.charCodeAt(at) === 46) {
    // V8 keeps the first three digits of the fraction (truncating, not rounding); PostgreSQL writes one to six.
    let digits = 0;
    for (let digit = digitAt(text, ++at); digit >= 0; digit = digitAt(text, ++at)) {
      if (digits < 3) ms = ms * 10 + digit;
      digits++;
    }
    if (digits === 0 || digits > 6) return undefined;
    for (; digits < 3; digits++) ms *= 10;
  }
  let offsetMinutes = 0;
  if (withTimezone) {
    const sign = text.charCodeAt(at) === 43 ? 1 : text.charCodeAt(at) === 45 ? -1 : 0;
    const hours = twoDigitsAt(text, at + 1);
    if (sign === 0 || hours < 0) return undefined;
    if (text.length === at + 3) offsetMinutes = sign * hours * 60;
    else if (text.length === at + 6 && text.charCodeAt(at + 3) === 58 && twoDigitsAt(text, at + 4) >= 0) offsetMinutes = sign * (hours * 60 + twoDigitsAt(text, at + 4));
    else return undefined;
  } else if (at !== text.length) {
    return undefined;
  }
  const days = daysFromCivil(century * 100 + yearOfCentury, month, day);
  return new Date(((days * 24 + hour) * 60 + minute - offsetMinutes) * 60_000 + second * 1000 + ms);
}

/** What maps a driver value of `field` the way drizzle's `mapResultRow` does: null when that is the value itself, undefined for a field it does not know. */
function decoderOf(field: unknown): Decode | null | undefined {
  let decoder: { mapFromDriverValue: Decode };
  if (is(field, Column)) decoder = field;
  // `decoder` is internal to drizzle's SQL: what `.mapWith()` set.
  else if (is(field, SQL)) decoder = (field as unknown as { decoder: typeof decoder }).decoder;
  else if (is(field, SQL.Aliased)) decoder = (field.sql as unknown as { decoder: typeof decoder }).decoder;
  else return undefined;
  if (is(decoder, PgTimestamp)) {
    const { withTimezone } = decoder;
    const slow = decoder.mapFromDriverValue.bind(decoder);
    return (value) => (typeof value === 'string' && parsePgTimestamp(value, withTimezone)) || slow(value as string);
  }
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
