import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as schema from '../../src/db/schema.js';
import { RunsRepo } from '../../src/modules/runs/runs.repo.js';
import { ownDatabase } from '../helpers/lab.js';

const CHILDREN_PER_PARENT = 150_000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
}

/** Rows the plan read from `table`, over every scan node and loop. */
function rowsRead(node: PlanNode, table: string): number {
  const own = node['Relation Name'] === table ? node['Actual Rows'] * node['Actual Loops'] : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + rowsRead(child, table), 0);
}

let sql: postgres.Sql;
let drop: () => Promise<void>;
const statements: { query: string; params: unknown[] }[] = [];
let projectId: string;
let experimentIds: string[];

beforeAll(async () => {
  const own = await ownDatabase();
  drop = own.drop;
  sql = postgres(own.url, { max: 2, onnotice: () => {}, debug: (_conn, query, params) => statements.push({ query, params: params as unknown[] }) });
  [{ id: projectId }] = await sql<{ id: string }[]>`insert into projects (name) values ('paging') returning id` as unknown as [{ id: string }];
  experimentIds = (await sql<{ id: string }[]>`
    insert into experiments (project_id, name) select ${projectId}, 'e' || i from generate_series(1, 2) as i returning id`).map((r) => r.id);
  // Two parents with many children each, as runs with 300k tasks will be.
  for (const experimentId of experimentIds) {
    await sql`
      insert into runs (project_id, experiment_id, status, prompt_version_ids, model_ids, created_at)
      select ${projectId}, ${experimentId}, 'SUCCEEDED', '{}', '{}', timestamptz '2026-01-01' + make_interval(secs => i)
      from generate_series(1, ${CHILDREN_PER_PARENT}) as i`;
  }
  await sql`analyze runs`;
}, 120_000);
afterAll(async () => {
  await sql.end();
  await drop();
});

describe('a page of children for many parents', () => {
  it('reads about the page size of rows, not every child of every parent', async () => {
    const repo = new RunsRepo(drizzle(sql, { schema }));
    statements.length = 0;
    const rows = await repo.pagesByExperiment(projectId, experimentIds, { after: null, status: null, columns: 'all' }, 3);
    expect(rows).toHaveLength(6);
    expect(rows.filter((r) => r.experimentId === experimentIds[0])).toHaveLength(3);

    const [{ query, params }] = statements as [{ query: string; params: unknown[] }];
    const [{ 'QUERY PLAN': [plan] }] = (await sql.unsafe(`explain (analyze, format json) ${query}`, params as postgres.ParameterOrJSON<never>[])) as unknown as [
      { 'QUERY PLAN': [{ Plan: PlanNode }] },
    ];
    // A window over every child reads 300,000 rows here; walking the index per parent reads the page.
    expect(rowsRead(plan.Plan, 'runs')).toBeLessThan(100);
  });
});
