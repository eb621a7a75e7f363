import { and, eq, getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { runRows, runs, runSnapshots, type ModelSnapshot, type PromptVersionSnapshot, type RunRow } from '../../db/schema.js';
import { anyId, Repo } from '../../storage/postgres.js';
import { progressJson, type RunEventJson } from './tasks.repo.js';
import { afterCreatedAt, eachParent, fieldsOf, keysetValues, newestFirst, parentId, parentPosition } from '../common/keyset.js';
import { RUN_LIST_COLUMNS, type RunListRow, type RunStatus } from './runs.types.js';

export interface RunsPageArgs {
  after: { createdAt: Date; id: string } | null;
  status: RunStatus[] | null;
  /** `list`: only RUN_LIST_COLUMNS, for a query that asks for RUN_LIST_FIELDS only; `all`: whole rows. */
  columns: 'list' | 'all';
}

/**
 * A uuid[] column as one comma-joined text, split in JS: the driver parses array text one
 * character at a time, building a string per character (3% of the CPU of a page of 100 runs).
 */
const idList = (column: PgColumn) =>
  // A NULL element reads back as the text NULL, as postgres.js reads it from the array.
  sql<string[]>`array_to_string(${column}, ',', 'NULL')`.mapWith((text: string) => (text === '' ? [] : text.split(',')));

const p = sql.placeholder;

/** The columns of runs, all of them or RUN_LIST_COLUMNS, as a page per experiment (see `eachParent`) reads them. */
const pageColumns = (columns: RunsPageArgs['columns']) =>
  columns === 'list' ? (Object.fromEntries(RUN_LIST_COLUMNS.map((name) => [name, runs[name]])) as Pick<typeof runs, (typeof RUN_LIST_COLUMNS)[number]>) : getTableColumns(runs);

export class RunsRepo extends Repo {
  byIds(projectId: string, ids: readonly string[]): Promise<RunRow[]> {
    return this.prepared('byIds', () =>
      this.db.select().from(runs).where(and(eq(runs.projectId, p('projectId')), anyId(runs.id, 'ids'))).prepare('runs_by_ids'),
    ).execute({ projectId, ids });
  }

  private statusIn(status: RunStatus[] | null): SQL | undefined {
    return status?.length ? sql`${runs.status} = any(${p('status')}::run_status[])` : undefined;
  }

  /** Up to `limit` runs of each experiment, newest first, in one statement: whole rows, or only RUN_LIST_COLUMNS (`args.columns`). */
  pagesByExperiment(projectId: string, experimentIds: readonly string[], args: RunsPageArgs, limit: number): Promise<RunListRow[]> {
    const statement = this.prepared(`pages|${args.status?.length ? 'status' : ''}|${args.after ? 'after' : 'first'}|${args.columns}`, () => {
      const page = this.db
        .select(pageColumns(args.columns))
        .from(runs)
        .where(and(eq(runs.experimentId, parentId), eq(runs.projectId, p('projectId')), this.statusIn(args.status), args.after ? afterCreatedAt(runs) : undefined))
        .orderBy(...newestFirst(runs))
        .limit(p('limit'))
        .as('page');
      const fields = args.columns === 'list' ? { ...fieldsOf(page), promptVersionIds: idList(page.promptVersionIds), modelIds: idList(page.modelIds) } : fieldsOf(page);
      return this.db
        .select(fields)
        .from(eachParent)
        .crossJoinLateral(page)
        .orderBy(parentPosition, ...newestFirst(page))
        .prepare(`runs_pages_${args.columns}`);
    });
    return statement.execute({ projectId, parentIds: experimentIds, status: args.status, ...keysetValues(args.after), limit }) as Promise<RunListRow[]>;
  }

  countsByExperiment(projectId: string, experimentIds: readonly string[], status: RunStatus[] | null): Promise<{ parentId: string; count: number }[]> {
    return this.prepared(`counts|${status?.length ? 'status' : ''}`, () =>
      this.db
        .select({ parentId: runs.experimentId, count: sql<number>`count(*)::int` })
        .from(runs)
        .where(and(eq(runs.projectId, p('projectId')), anyId(runs.experimentId, 'experimentIds'), this.statusIn(status)))
        .groupBy(runs.experimentId)
        .prepare('runs_counts'),
    ).execute({ projectId, experimentIds, status });
  }

  /** A new QUEUED run with its first event (sequence 1, QUEUED). */
  async insertRun(values: Omit<typeof runs.$inferInsert, 'id' | 'createdAt' | 'status' | 'lastSequence'>): Promise<{ run: RunRow; event: RunEventJson }> {
    const [row] = await this.db.insert(runs).values({ ...values, lastSequence: 1 }).returning();
    const [event] = await this.db.execute<RunEventJson>(sql`insert into run_events (run_id, sequence, task, status, error, progress)
      select id, 1, null, status, null, ${progressJson(sql`runs`)} from runs where id = ${row!.id}
      returning run_id, sequence, task, status, error, progress`);
    return { run: row!, event: event! };
  }

  async insertSnapshot(runId: string, models: ModelSnapshot[], promptVersions: PromptVersionSnapshot[], judges: Record<string, ModelSnapshot>): Promise<void> {
    await this.db.insert(runSnapshots).values({ runId, models, promptVersions, judges });
  }

  /** The run's dataset rows, as JSON documents of up to ROWS_PER_STATEMENT rows each (one parameter per statement). */
  async insertRows(runId: string, rows: readonly { i: number; input: unknown; expected: unknown }[]): Promise<void> {
    for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
      const chunk = JSON.stringify(rows.slice(start, start + ROWS_PER_STATEMENT));
      await this.db.execute(sql`insert into ${runRows} (run_id, row_index, input, expected)
        select ${runId}, (e->>'i')::int, e->'input', case when jsonb_typeof(e->'expected') = 'null' then null else e->'expected' end
        from jsonb_array_elements(${chunk}::jsonb) as e`);
    }
  }

  /** rows x prompt versions x models x repetitions as task rows, row-major, in one statement. */
  async expandTasks(projectId: string, runId: string, rowCount: number, promptVersionIds: string[], modelIds: string[], repetitions: number): Promise<void> {
    const perPrompt = modelIds.length * repetitions;
    const perRow = promptVersionIds.length * perPrompt;
    await this.db.execute(sql`insert into tasks (project_id, run_id, seq, row_index, repetition, prompt_version_id, model_id)
      select ${projectId}::uuid, ${runId}::uuid, r * ${perRow} + (p.i - 1) * ${perPrompt} + (m.i - 1) * ${repetitions} + rep, r, rep, p.id, m.id
      from generate_series(0, ${rowCount - 1}) as r
      cross join unnest(${sql.param(promptVersionIds)}::uuid[]) with ordinality as p(id, i)
      cross join unnest(${sql.param(modelIds)}::uuid[]) with ordinality as m(id, i)
      cross join generate_series(0, ${repetitions - 1}) as rep`);
  }


  /** Copies the frozen config, the rows and the tasks that did not succeed of one (ended) run into another. */
  async copyUnsucceeded(fromRunId: string, toRunId: string): Promise<void> {
    await this.db.execute(sql`insert into run_snapshots (run_id, models, prompt_versions, judges)
      select ${toRunId}, models, prompt_versions, judges from run_snapshots where run_id = ${fromRunId}`);
    await this.db.execute(sql`insert into run_rows (run_id, row_index, input, expected)
      select ${toRunId}, row_index, input, expected from run_rows rr where rr.run_id = ${fromRunId}
        and exists (select 1 from tasks t where t.run_id = ${fromRunId} and t.row_index = rr.row_index and t.status <> 'SUCCEEDED')`);
    await this.db.execute(sql`insert into tasks (project_id, run_id, seq, row_index, repetition, prompt_version_id, model_id)
      select project_id, ${toRunId}, (row_number() over (order by seq) - 1)::int, row_index, repetition, prompt_version_id, model_id
      from tasks where run_id = ${fromRunId} and status <> 'SUCCEEDED'`);
  }
}

/** JSON rows per insert statement: about 10 MB of parameter at 1 kB a row. */
const ROWS_PER_STATEMENT = 10_000;
