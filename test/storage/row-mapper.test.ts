import { eq, getTableName, is, sql } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as schema from '../../src/db/schema.js';
import { compileRowMapper } from '../../src/storage/postgres.js';
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
