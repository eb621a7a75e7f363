import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, migrateClickHouse, splitStatements, type ClickHouseClient } from '../../src/storage/clickhouse.js';
import { CLICKHOUSE_URL, ownClickHouse } from '../helpers/clickhouse.js';

describe('splitStatements', () => {
  it('splits at semicolons outside quotes and comments, and drops comment-only pieces', () => {
    const text = [
      "-- a comment; with a semicolon",
      "CREATE TABLE a (s String DEFAULT 'x;y') ENGINE = Memory;",
      '/* block; comment */',
      "SELECT 'it\\'s; fine', `odd;name`;",
      '-- trailing comment',
      '',
    ].join('\n');
    expect(splitStatements(text)).toEqual([
      "-- a comment; with a semicolon\nCREATE TABLE a (s String DEFAULT 'x;y') ENGINE = Memory",
      "/* block; comment */\nSELECT 'it\\'s; fine', `odd;name`",
    ]);
    expect(splitStatements('SELECT 1')).toEqual(['SELECT 1']);
  });
});

describe('migrateClickHouse', () => {
  let client: ClickHouseClient;
  let folder: string;
  const database = `lab_test_${randomBytes(6).toString('hex')}`;
  beforeAll(() => {
    client = createClickHouse({ url: CLICKHOUSE_URL });
    folder = mkdtempSync(join(tmpdir(), 'ch-migrations-'));
  });
  afterAll(async () => {
    rmSync(folder, { recursive: true, force: true });
    await client?.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await client?.close();
  });

  const tables = async () => {
    const result = await client.query({ query: `SELECT name FROM system.tables WHERE database = '${database}' ORDER BY name`, format: 'JSONEachRow' });
    return (await result.json<{ name: string }>()).map((r) => r.name);
  };

  it('creates the database, applies each file once in name order, and records it', async () => {
    writeFileSync(join(folder, '0002_second.sql'), 'CREATE TABLE IF NOT EXISTS {database}.second AS {database}.first;\nINSERT INTO {database}.second SELECT * FROM {database}.first;');
    writeFileSync(join(folder, '0001_first.sql'), "CREATE TABLE IF NOT EXISTS {database}.first (s String) ENGINE = MergeTree ORDER BY s;\nINSERT INTO {database}.first VALUES ('a;b');");
    writeFileSync(join(folder, 'notes.txt'), 'not a migration');
    expect(await migrateClickHouse(client, database, { folder })).toEqual(['0001_first', '0002_second']);
    expect(await tables()).toEqual(['first', 'schema_migrations', 'second']);
    expect(await migrateClickHouse(client, database, { folder })).toEqual([]);
    writeFileSync(join(folder, '0003_third.sql'), 'CREATE TABLE IF NOT EXISTS {database}.third (n UInt8) ENGINE = Memory');
    expect(await migrateClickHouse(client, database, { folder })).toEqual(['0003_third']);
    const copied = await client.query({ query: `SELECT s FROM ${database}.second`, format: 'JSONEachRow' });
    expect(await copied.json()).toEqual([{ s: 'a;b' }]);
  });

  it('refuses a database name that is not a plain identifier', async () => {
    await expect(migrateClickHouse(client, 'x; DROP DATABASE default', { folder })).rejects.toThrow(RangeError);
  });

  it('gives the repository migrations the metric_points table', async () => {
    const own = await ownClickHouse();
    try {
      const result = await own.client.query({ query: `SELECT name, type FROM system.columns WHERE database = '${own.database}' AND table = 'metric_points'`, format: 'JSONEachRow' });
      expect(await result.json()).toEqual([
        { name: 'project_id', type: 'String' },
        { name: 'experiment_id', type: 'String' },
        { name: 'run_id', type: 'String' },
        { name: 'task_id', type: 'String' },
        { name: 'model_id', type: 'String' },
        { name: 'prompt_version_id', type: 'String' },
        { name: 'row_index', type: 'UInt32' },
        { name: 'repetition', type: 'UInt32' },
        { name: 'name', type: 'String' },
        { name: 'value', type: 'Float64' },
        { name: 'time_ms', type: 'UInt64' },
      ]);
    } finally {
      await own.drop();
    }
  });
});
