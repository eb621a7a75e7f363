import { eq, getTableName, is, sql } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as schema from '../../src/db/schema.js';
import { compileRowMapper, parsePgTimestamp } from '../../src/storage/postgres.js';
import { RunsRepo } from '../../src/modules/runs/runs.repo.js';
import { rowId, startTestLab, type TestLab, type TestProject } from '../helpers/lab.js';
import { CreateExperiment, CreateModel, CreatePrompt } from '../helpers/operations.js';

/** What a prepared drizzle statement keeps (internal): its fields, and the mapper the repos' statements get. */
interface Prepared {
  fields: { path: string[]; field: unknown }[];
  customResultMapper?: (rows: unknown[][]) => object[];
  execute(values?: Record<string, unknown>): Promise<object[]>;
}

let lab: TestLab;
let project: TestProject;

beforeAll(async () => {
  lab = await startTestLab();
  project = await lab.newProject('ADMIN');
  const model = rowId((await project.client.request(CreateModel, { input: { name: 'm', provider: 'ECHO', modelName: 'm', inputCostPerMTok: 1.5 } })).createModel.id);
  const prompt = (await project.client.request(CreatePrompt, { input: { name: 'p', template: '{{x}}' } })).createPrompt;
  const experiment = rowId((await project.client.request(CreateExperiment, { input: { name: 'e' } })).createExperiment.id);
  // A run with every kind of column set: arrays, jsonb, bigint, double, nullable timestamps with and without values.
  await lab.database.sql`insert into runs ${lab.database.sql({
    project_id: project.projectId,
    experiment_id: experiment,
    status: 'SUCCEEDED',
    prompt_version_ids: [rowId(prompt.latestVersion.id)],
    model_ids: [model],
    evaluators: JSON.stringify([{ kind: 'EXACT_MATCH', name: 'em', params: { a: [1, 'b'] } }]),
    prompt_tokens: 12_345_678_901,
    cost_usd: 0.125,
    started_at: '2026-01-02T03:04:05.678Z',
  })}`;
});
afterAll(() => lab.close());

/** Executes `statement` with drizzle's own mapping, then with the compiled one, on the same rows. */
async function bothMappings(statement: Prepared, values?: Record<string, unknown>) {
  const mapper = compileRowMapper(statement.fields);
  expect(mapper, 'a mapper for a flat select').not.toBeNull();
  statement.customResultMapper = undefined;
  const drizzles = await statement.execute(values);
  statement.customResultMapper = mapper!;
  const compiled = await statement.execute(values);
  return { drizzles, compiled };
}

describe('compiled row mapper', () => {
  it('maps every table of the schema exactly as drizzle does (types, nulls, key order)', async () => {
    const { db } = lab.database;
    const tables = (Object.values(schema) as unknown[]).filter((t): t is PgTable => is(t, PgTable));
    expect(tables.length).toBeGreaterThan(10);
    let rowsCompared = 0;
    for (const table of tables) {
      const statement = db.select().from(table).limit(50).prepare(`row_mapper_${getTableName(table)}`) as unknown as Prepared;
      const { drizzles, compiled } = await bothMappings(statement);
      expect(compiled, getTableName(table)).toStrictEqual(drizzles);
      for (let i = 0; i < drizzles.length; i++) expect(Object.keys(compiled[i]!)).toEqual(Object.keys(drizzles[i]!));
      rowsCompared += drizzles.length;
    }
    // Not a comparison of empty lists: projects, keys, models, prompts, versions, experiments and the run above.
    expect(rowsCompared).toBeGreaterThanOrEqual(7);
    const [run] = (await bothMappings(db.select().from(schema.runs).where(eq(schema.runs.projectId, project.projectId)).prepare('row_mapper_runs_again') as unknown as Prepared)).compiled as (typeof schema.runs.$inferSelect)[];
    expect(run!.startedAt).toEqual(new Date('2026-01-02T03:04:05.678Z'));
    expect(run!.finishedAt).toBeNull();
    expect(run!.promptTokens).toBe(12_345_678_901);
    expect(run!.evaluators).toEqual([{ kind: 'EXACT_MATCH', name: 'em', params: { a: [1, 'b'] } }]);
  });

  it('maps selected expressions with and without mapWith as drizzle does', async () => {
    const { db } = lab.database;
    const statement = db
      .select({
        count: sql<number>`count(*)::int`,
        asText: sql<string>`count(*)`,
        asNumber: sql<number>`count(*)`.mapWith(Number),
        newest: sql<Date>`max(${schema.runs.createdAt})`.mapWith(schema.runs.createdAt),
        ids: schema.runs.modelIds,
      })
      .from(schema.runs)
      .where(eq(schema.runs.projectId, project.projectId))
      .groupBy(schema.runs.modelIds)
      .prepare('row_mapper_expressions') as unknown as Prepared;
    const { drizzles, compiled } = await bothMappings(statement);
    expect(drizzles.length).toBe(1);
    expect(compiled).toStrictEqual(drizzles);
    expect(typeof (compiled[0] as { asNumber: unknown }).asNumber).toBe('number');
    expect((compiled[0] as { newest: unknown }).newest).toBeInstanceOf(Date);
  });

  it('leaves nested and joined shapes to drizzle', () => {
    expect(compileRowMapper([{ path: ['run', 'id'], field: schema.runs.id }])).toBeNull();
    expect(compileRowMapper([])).toBeNull();
  });

  it("is what the repos' prepared statements map their rows with", async () => {
    const repo = new RunsRepo(lab.database.db);
    const rows = await repo.byIds(project.projectId, []);
    expect(rows).toEqual([]);
    const statements = (repo as unknown as { statements: Map<string, Prepared> }).statements;
    expect(statements.size).toBeGreaterThan(0);
    for (const statement of statements.values()) expect(statement.customResultMapper).toBeTypeOf('function');
  });
});

describe('timestamps read by position (parsePgTimestamp)', () => {
  /** What drizzle's timestamp columns give for a text value: `new Date(text)`, UTC appended without a time zone. */
  const drizzleDate = (text: string, withTimezone: boolean) => new Date(withTimezone ? text : `${text}+0000`);
  const same = (text: string, withTimezone: boolean) => {
    const fast = parsePgTimestamp(text, withTimezone);
    if (fast === undefined) return 'fallback';
    expect(fast.getTime(), `${text} (${withTimezone ? 'with' : 'without'} time zone)`).toBe(drizzleDate(text, withTimezone).getTime());
    return 'fast';
  };

  it("reads PostgreSQL's own text of timestamps, in any session time zone, as drizzle does", async () => {
    const sql = lab.database.sql;
    let fast = 0;
    // Offsets of whole hours, of half and quarter hours, negative and positive, and historical ones with seconds (LMT).
    for (const zone of ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Asia/Kathmandu', 'America/Los_Angeles', 'Europe/Amsterdam']) {
      const rows = await sql.begin(async (tx) => {
        await tx.unsafe(`set local timezone = '${zone}'`);
        // Microseconds of every length (trailing zeros are dropped), across years and a DST change, and 1850 (LMT offsets in seconds).
        return tx<{ tz: string; plain: string }[]>`
          select t::text as tz, (t at time zone 'UTC')::text as plain from (
            select timestamptz '2026-03-29 00:59:59.999999+00' + n * interval '1 hour 7 minutes 13.123457 seconds' as t from generate_series(0, 40) n
            union all select timestamptz '1850-06-01 12:00:00+00'
            union all select timestamptz '1000-01-01 00:00:00+00'
            union all select timestamptz '2026-01-01 00:00:00.5+00') s`;
      });
      for (const { tz, plain } of rows) {
        if (same(tz, true) === 'fast') fast++;
        if (same(plain, false) === 'fast') fast++;
      }
    }
    // Nearly all of them by position; only the LMT offsets with seconds and year 1000 edge forms may fall back.
    expect(fast).toBeGreaterThan(6 * 2 * 40);
  });

  it('leaves every other form to the slow parser, giving what it gives', () => {
    for (const text of ['0099-01-09 22:54:55+00', '2025-01-09 22:54:55+05:30:15', 'infinity', '-infinity', '2025-01-09 22:54:55 BC', '10000-01-01 00:00:00+00', '2025-01-09T22:54:55+00', '2025-13-01 00:00:00+00', '2025-01-09 22:54:55.1234567+00', '2025-01-09 22:54:55.+00']) {
      expect(parsePgTimestamp(text, true), text).toBeUndefined();
    }
    expect(parsePgTimestamp('2025-01-09 22:54:55+00', false), 'an offset where none belongs').toBeUndefined();
    expect(parsePgTimestamp('2025-01-09 22:54:55', true), 'no offset where one belongs').toBeUndefined();
    // Truncated to milliseconds as V8 does, never rounded up.
    for (const text of ['2025-01-09 22:54:55.9999+00', '2025-01-09 22:54:55.7+00', '2025-01-09 22:54:55.71+00', '2025-12-31 23:59:59.999999-03', '2024-02-29 12:00:00+05:30']) {
      expect(same(text, true), text).toBe('fast');
    }
    expect(same('2025-12-31 23:59:59.999999', false)).toBe('fast');
  });

  it('is what the compiled mapper decodes timestamp columns and mapWith(timestamp) expressions with', () => {
    const mapper = compileRowMapper([
      { path: ['createdAt'], field: schema.runs.createdAt },
      { path: ['newest'], field: sql<Date>`max(${schema.runs.createdAt})`.mapWith(schema.runs.createdAt) },
    ])!;
    const [row] = mapper([['2025-01-09 22:54:55.7109+00', 'infinity']]) as { createdAt: Date; newest: Date }[];
    expect(row!.createdAt.toISOString()).toBe('2025-01-09T22:54:55.710Z');
    expect(Number.isNaN(row!.newest.getTime()), 'infinity falls back to new Date(), an invalid Date as drizzle gives').toBe(true);
  });
});

