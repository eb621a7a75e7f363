import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { packageRoot } from '../common/package-root.js';

export type { ClickHouseClient };

export interface ClickHouseOptions {
  url: string;
  /** Milliseconds a request may take before the client abandons it (default 30 s). */
  requestTimeoutMs?: number;
}

/**
 * A client for one ClickHouse server, on `default`: every statement names its database
 * (`db.table`), because a client bound to a database that does not exist yet is refused even
 * `CREATE DATABASE`, and 18.16 has no header to choose one per request.
 *
 * The settings are all known to ClickHouse 18.16 and to current releases (an unknown one fails
 * every request).
 */
export function createClickHouse(options: ClickHouseOptions): ClickHouseClient {
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  return createClient({
    url: options.url,
    request_timeout: requestTimeoutMs,
    // 18.16 closes an idle connection after 3 s (keep_alive_timeout); drop ours before it does.
    keep_alive: { enabled: true, idle_socket_ttl: 2_500 },
    // The client would print failures to the console itself; its callers log them, with context, through pino.
    log: { level: ClickHouseLogLevel.OFF },
    clickhouse_settings: {
      // The server stops a query the client has stopped waiting for.
      max_execution_time: Math.ceil(requestTimeoutMs / 1000),
      // Pinned, as releases changed the defaults: 64-bit integers arrive as strings, NaN and ±inf as null.
      output_format_json_quote_64bit_integers: 1,
      output_format_json_quote_denormals: 0,
    },
  });
}

const SMALLEST_NORMAL = 2.2250738585072014e-308;

/**
 * The one way a value enters ClickHouse SQL text (18.16 has no server-side query parameters).
 *
 * Strings are single-quoted with backslash escapes for `\`, `'` and every control character;
 * a string with a lone UTF-16 surrogate is refused, as it has no UTF-8 form. Numbers must be
 * finite and come back exactly: safe integers as integers, others in the shortest form that reads
 * back as the same double, -0 as `-0.0`, and subnormals as a product of two normal literals
 * (18.16's parser refuses subnormal literals). Arrays become `[a, b]`.
 */
export function chLiteral(value: string | number | readonly (string | number)[]): string {
  if (typeof value === 'string') return stringLiteral(value);
  if (typeof value === 'number') return numberLiteral(value);
  return `[${value.map((item) => chLiteral(item)).join(', ')}]`;
}

const LONE_SURROGATE = /\p{Surrogate}/u;
const NEEDS_ESCAPE = /[\\'\u0000-\u001f\u007f]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\\0' };

function stringLiteral(value: string): string {
  if (LONE_SURROGATE.test(value)) throw new RangeError('chLiteral: the string holds a lone UTF-16 surrogate, which has no UTF-8 form');
  const escaped = value.replace(NEEDS_ESCAPE, (c) => ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `'${escaped}'`;
}

function numberLiteral(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`chLiteral: ${value} is not a finite number`);
  if (Object.is(value, -0)) return '-0.0';
  if (Number.isSafeInteger(value)) return String(value);
  // Beyond 2^53, String() prints rounded digits that ClickHouse would read as a different integer.
  if (Number.isInteger(value)) return value.toExponential();
  if (Math.abs(value) < SMALLEST_NORMAL) return `(${String(value / SMALLEST_NORMAL)} * ${SMALLEST_NORMAL})`;
  return String(value);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A database name as it may appear unquoted in SQL (and in a ZooKeeper path). */
export function checkDatabaseName(database: string): string {
  if (!IDENTIFIER.test(database)) throw new RangeError(`ClickHouse database name must be letters, digits and _ (got ${JSON.stringify(database)})`);
  return database;
}

export interface MigrateOptions {
  /** Apply clickhouse/cluster/ (replicated tables behind Distributed ones, ON CLUSTER) instead of clickhouse/migrations/. */
  cluster?: boolean;
  /** A folder of migrations other than the two above (tests). */
  folder?: string;
}

/**
 * Applies the `.sql` files of a migrations folder in name order, each once, recording them in
 * `<database>.schema_migrations`. `{database}` in a file stands for the database's name. ClickHouse
 * has no transactions or locks: every statement must be idempotent (`IF NOT EXISTS`), so two
 * processes migrating at once, or a run that stopped half-way, apply it again harmlessly.
 */
export async function migrateClickHouse(client: ClickHouseClient, database: string, options: MigrateOptions = {}): Promise<string[]> {
  const db = checkDatabaseName(database);
  const folder = options.folder ?? join(packageRoot(), 'clickhouse', options.cluster ? 'cluster' : 'migrations');
  const onCluster = options.cluster ? " ON CLUSTER '{cluster}'" : '';
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}${onCluster}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version String, applied_at DateTime DEFAULT now()) ENGINE = MergeTree ORDER BY version`,
  });
  const rows = await (await client.query({ query: `SELECT DISTINCT version FROM ${db}.schema_migrations`, format: 'JSONEachRow' })).json<{ version: string }>();
  const applied = new Set(rows.map((r) => r.version));
  const files = readdirSync(folder)
    .filter((name) => name.endsWith('.sql'))
    .sort();
  const appliedNow: string[] = [];
  for (const file of files) {
    const version = file.replace(/\.sql$/, '');
    if (applied.has(version)) continue;
    const text = readFileSync(join(folder, file), 'utf8');
    for (const statement of splitStatements(text.replaceAll('{database}', db))) await client.command({ query: statement });
    await client.command({ query: `INSERT INTO ${db}.schema_migrations (version) VALUES (${chLiteral(version)})` });
    appliedNow.push(version);
  }
  return appliedNow;
}

/**
 * The statements of a file, split at `;` outside quotes and comments (the HTTP interface takes
 * one statement a request); pieces holding only comments are dropped.
 */
export function splitStatements(text: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let hasCode = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 1;
    } else if (c === "'" || c === '"' || c === '`') {
      hasCode = true;
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++;
    } else if (c === ';') {
      if (hasCode) statements.push(text.slice(start, i).trim());
      start = i + 1;
      hasCode = false;
    } else if (!/\s/.test(c)) {
      hasCode = true;
    }
  }
  if (hasCode) statements.push(text.slice(start).trim());
  return statements;
}
