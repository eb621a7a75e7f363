import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import { runs, tasks, type ModelSnapshot, type RunRow, type PromptVersionSnapshot, type TaskRow, type TaskStatus } from '../../db/schema.js';
import { anyId, Repo, type Executor } from '../../storage/postgres.js';
import { Leases, type Claim } from '../../workflow/leases.js';
import { eachParent, fieldsOf, parentId, parentPosition } from '../common/keyset.js';

export interface TaskPageArgs {
  afterSeq: number | null;
  status: TaskStatus[] | null;
}

/** Tasks are leased rows: `attempts` is the fencing token of the current claim. */
export const taskLeases = new Leases({ table: tasks, columns: { id: 'id', leaseUntil: 'leaseUntil', attempts: 'attempts' } });
/** A run is held under this lease while it is finished (results.jsonl written, final status set). */
export const runFinishLeases = new Leases({ table: runs, columns: { id: 'id', leaseUntil: 'leaseUntil', attempts: 'finishAttempts' } });

/** The run's side of a claim, read under its row lock. */
export type ClaimableRun = {
  id: string;
  projectId: string;
  status: string;
  concurrency: number | null;
  maxCostUsd: number | null;
  costUsd: number;
  reservedUsd: number;
  error: string | null;
};

export type RunSnapshot = {
  projectId: string;
  experimentId: string;
  models: ModelSnapshot[];
  promptVersions: PromptVersionSnapshot[];
  judges: Record<string, ModelSnapshot>;
  evaluators: RunRow['evaluators'];
  traceParent: string | null;
};

/** A task that may be claimed, with the dataset row it runs on. */
export type CandidateTask = {
  id: string;
  /** What an earlier claim (of a worker that died) reserved against the budget; released when it is taken. */
  reservedUsd: number;
  status: TaskStatus;
  attempts: number;
  seq: number;
  rowIndex: number;
  repetition: number;
  promptVersionId: string;
  modelId: string;
  input: Record<string, unknown>;
  expected: unknown;
};

/** How a claimed task ended its attempt; RELEASED gives it back untouched (the worker stopped). */
export type OutcomeStatus = Exclude<TaskStatus, 'RUNNING'> | 'RELEASED';

export interface TaskOutcome {
  id: string;
  attempt: number;
  status: OutcomeStatus;
  renderedPrompt: string | null;
  output: string | null;
  error: string | null;
  latencyMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  costUsd: number | null;
  /** SUCCEEDED: what the call and the evaluators measured, by metric name. */
  metrics: Record<string, number> | null;
  /** What was reserved against the budget at claim; released now. */
  reservedUsd: number;
  /** QUEUED only: not claimable again for this long. */
  retryInSeconds: number;
}

/** A run's counters after a write that moved some of its tasks. */
export type RunCounters = {
  runId: string;
  status: string;
  totalTasks: number;
  queuedTasks: number;
  runningTasks: number;
  succeededTasks: number;
  failedTasks: number;
  cancelledTasks: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  error: string | null;
  /** Tasks this write moved. */
  moved: number;
  /** The run events the write appended, to publish once it committed. */
  events: RunEventJson[];
};

const ENDED = sql.raw(`('SUCCEEDED', 'FAILED', 'CANCELLED')`);

/** The run's progress as run events carry it, from a row of `runs` (or a CTE with its columns). */
export const progressJson = (r: SQL) => sql`jsonb_build_object('total', ${r}.total_tasks, 'queued', ${r}.queued_tasks,
  'running', ${r}.running_tasks, 'succeeded', ${r}.succeeded_tasks, 'failed', ${r}.failed_tasks,
  'cancelled', ${r}.cancelled_tasks, 'startedAt', ${r}.started_at, 'finishedAt', ${r}.finished_at)`;

/** A run event as statements return it, ready to publish. */
export type RunEventJson = {
  run_id: string;
  sequence: number;
  task: Record<string, unknown> | null;
  status: string | null;
  error: string | null;
  progress: Record<string, unknown>;
};

/**
 * The CTEs that apply the tasks a preceding CTE named `moved` (columns: old, new, pt, ct, cost,
 * released, seq, task) moved to the run's counters, in the same statement as the move, so a counter
 * changes exactly when a task does: a write the fence refused moves nothing and counts nothing.
 * Each task whose status changed, and the run's own QUEUED -> RUNNING, also appends a run event
 * numbered from the run's last sequence, in task order: gap-free because the run row's update
 * serialises the statements that number. Ends with CTEs `counted` (the run's counters after the
 * move) and `events`.
 */
function countersCtes(runId: string): SQL {
  return sql`prior as (select status from runs where id = ${runId}),
  d as (
    select count(*)::int as n,
      (count(*) filter (where old is distinct from new))::int as changed,
      (count(*) filter (where new = 'QUEUED') - count(*) filter (where old = 'QUEUED'))::int as queued,
      (count(*) filter (where new = 'RUNNING') - count(*) filter (where old = 'RUNNING'))::int as running,
      count(*) filter (where new = 'SUCCEEDED')::int as succeeded,
      count(*) filter (where new = 'FAILED')::int as failed,
      count(*) filter (where new = 'CANCELLED')::int as cancelled,
      coalesce(sum(pt), 0)::bigint as pt, coalesce(sum(ct), 0)::bigint as ct,
      coalesce(sum(cost), 0)::float8 as cost, coalesce(sum(released), 0)::float8 as released
    from moved),
  counted as (
    update runs r set
      status = case when r.status = 'QUEUED' and d.running > 0 then 'RUNNING'::run_status else r.status end,
      last_sequence = r.last_sequence + d.changed + (case when r.status = 'QUEUED' and d.running > 0 then 1 else 0 end),
      started_at = case when d.running > 0 then coalesce(r.started_at, now()) else r.started_at end,
      queued_tasks = r.queued_tasks + d.queued,
      running_tasks = r.running_tasks + d.running,
      succeeded_tasks = r.succeeded_tasks + d.succeeded,
      failed_tasks = r.failed_tasks + d.failed,
      cancelled_tasks = r.cancelled_tasks + d.cancelled,
      prompt_tokens = r.prompt_tokens + d.pt,
      completion_tokens = r.completion_tokens + d.ct,
      cost_usd = r.cost_usd + d.cost,
      reserved_usd = greatest(0, r.reserved_usd - d.released)
    from d
    where r.id = ${runId} and d.n > 0
    returning r.id as "runId", r.status, r.total_tasks as "totalTasks", r.queued_tasks as "queuedTasks",
      r.running_tasks as "runningTasks", r.succeeded_tasks as "succeededTasks", r.failed_tasks as "failedTasks",
      r.cancelled_tasks as "cancelledTasks", r.prompt_tokens::float8 as "promptTokens",
      r.completion_tokens::float8 as "completionTokens", r.cost_usd as "costUsd", r.error, d.n as moved,
      r.last_sequence as "lastSequence", ${progressJson(sql`r`)} as progress),
  status_event as (
    select 1 as one from counted c, prior p where p.status = 'QUEUED' and c.status = 'RUNNING'),
  events as (
    insert into run_events (run_id, sequence, task, status, error, progress)
    select ${runId}::uuid, c."lastSequence" - d.changed, null, 'RUNNING'::run_status, null, c.progress
      from counted c, d, status_event
    union all
    select ${runId}::uuid, c."lastSequence" - d.changed + (row_number() over (order by m.seq))::int, m.task, null, null, c.progress
      from moved m, counted c, d where m.old is distinct from m.new
    returning run_id, sequence, task, status, error, progress)`;
}

/** The events a statement appended, in order, as one JSON array column. */
const EVENTS = sql`(select coalesce(jsonb_agg(to_jsonb(e) order by e.sequence), '[]'::jsonb) from events e) as events`;

/**
 * The task queue's statements. Claims happen in a short transaction per run (the service opens it):
 * the run row is locked, the models' in-flight counts are read under advisory locks, and free tasks
 * are taken with `FOR UPDATE SKIP LOCKED`. Every later write is fenced by the claim's attempt.
 */
export class TasksRepo extends Repo {
  /**
   * Runs with a claimable task, oldest first: QUEUED tasks by the counter, or RUNNING tasks no live
   * lease holds (a dead or stopped worker's), found through the unfinished-tasks index. A run whose
   * every remaining task is held costs no claim transaction.
   */
  async activeRuns(limit: number): Promise<{ id: string }[]> {
    return this.db.execute<{ id: string }>(sql`select id from runs
      where status in ('QUEUED', 'RUNNING') and error is null
        and (queued_tasks > 0 or (running_tasks > 0 and exists (
          select 1 from tasks where tasks.run_id = runs.id and tasks.status in ('QUEUED', 'RUNNING') and ${taskLeases.isFree()})))
      order by created_at limit ${limit}`);
  }

  /** What a worker needs to run the run's tasks: the frozen snapshot, the evaluators, and where the run belongs. */
  async snapshot(runId: string): Promise<RunSnapshot | undefined> {
    const [row] = await this.db.execute<RunSnapshot>(
      sql`select s.models, s.prompt_versions as "promptVersions", s.judges, r.evaluators, r.project_id as "projectId", r.experiment_id as "experimentId",
          r.trace_parent as "traceParent"
        from run_snapshots s join runs r on r.id = s.run_id where s.run_id = ${runId}`,
    );
    return row;
  }

  /** Locks the run row for the claim; undefined when it takes no claims (not QUEUED or RUNNING, or failing). */
  async lockRun(runId: string): Promise<ClaimableRun | undefined> {
    const [row] = await this.db.execute<ClaimableRun>(sql`select id, project_id as "projectId", status, concurrency,
        max_cost_usd as "maxCostUsd", cost_usd as "costUsd", reserved_usd as "reservedUsd", error
      from runs where id = ${runId} for no key update`);
    return row && (row.status === 'QUEUED' || row.status === 'RUNNING') && row.error === null ? row : undefined;
  }

  /**
   * Serialises claims on these models until the transaction ends, so in-flight counts read next
   * stay true until the claim commits. Ids must be sorted (one lock order: no deadlock).
   */
  async lockModels(modelIds: string[]): Promise<void> {
    await this.db.execute(sql`select pg_advisory_xact_lock(7020412, hashtext(m)) from unnest(${sql.param(modelIds)}::text[]) as m`);
  }

  /**
   * Calls in flight (RUNNING under a live lease) per model, in all runs and in this run; `ended`
   * are tasks whose call the asking worker saw end but whose outcome it has not written yet.
   */
  async inFlight(runId: string, modelIds: string[], ended: string[] = []): Promise<{ modelId: string; total: number; inRun: number }[]> {
    return this.db.execute(sql`select model_id as "modelId", count(*)::int as total, (count(*) filter (where run_id = ${runId}))::int as "inRun"
      from tasks where model_id = any(${sql.param(modelIds)}::uuid[]) and status = 'RUNNING' and lease_until > now()
        and id <> all(${sql.param(ended)}::uuid[])
      group by model_id`);
  }

  /** Up to `limit` claimable tasks of one model of the run in order, locked; others' locked rows are skipped. */
  async candidates(runId: string, modelId: string, limit: number): Promise<CandidateTask[]> {
    // No alias for tasks: the lease unit's conditions name the table.
    return this.db.execute<CandidateTask>(sql`select tasks.id, tasks.reserved_usd as "reservedUsd", tasks.status, tasks.attempts, tasks.seq, tasks.row_index as "rowIndex", tasks.repetition,
        tasks.prompt_version_id as "promptVersionId", tasks.model_id as "modelId", rr.input, rr.expected
      from tasks join run_rows rr on rr.run_id = tasks.run_id and rr.row_index = tasks.row_index
      where tasks.run_id = ${runId} and tasks.model_id = ${modelId} and tasks.status in ('QUEUED', 'RUNNING') and ${taskLeases.isFree()}
      order by tasks.seq limit ${limit}
      for update of tasks skip locked`);
  }

  /** Claims the chosen candidates (a lease, the next attempt, the reserved cost) and moves the run's counters; returns the new attempts. */
  async take(runId: string, chosen: { id: string; reservedUsd: number }[], leaseSeconds: number): Promise<{ claimed: { id: string; attempts: number }[]; events: RunEventJson[] }> {
    const ids = chosen.map((c) => c.id);
    const reserved = chosen.map((c) => c.reservedUsd);
    const [row] = await this.db.execute<{ claimed: { id: string; attempts: number }[]; events: RunEventJson[] }>(sql`with
      v as (select * from unnest(${sql.param(ids)}::uuid[], ${sql.param(reserved)}::float8[]) as v(id, reserved)),
      old as (select t.id, t.status as old, t.reserved_usd as was_reserved from tasks t join v using (id)),
      claimed as (
        update tasks t set status = 'RUNNING', attempts = t.attempts + 1, lease_until = now() + make_interval(secs => ${leaseSeconds}),
          started_at = coalesce(t.started_at, now()), reserved_usd = v.reserved
        from v where t.id = v.id and t.run_id = ${runId}
        returning t.id, t.attempts, v.reserved, t.seq, to_jsonb(t) as task),
      -- A task taken over from a dead worker gives back what that worker had reserved for it.
      moved as (select old.old, 'RUNNING'::task_status as new, 0 as pt, 0 as ct, 0::float8 as cost, old.was_reserved - claimed.reserved as released,
          claimed.seq, claimed.task
        from claimed join old using (id)),
      ${countersCtes(runId)}
      select coalesce((select jsonb_agg(jsonb_build_object('id', id, 'attempts', attempts)) from claimed), '[]'::jsonb) as claimed, ${EVENTS}`);
    return row!;
  }

  /**
   * Writes the outcomes of one run's claimed tasks, each only if its claim still holds (same
   * attempt, still RUNNING), and moves the run's counters by what was written, in one statement.
   */
  async settle(runId: string, outcomes: readonly TaskOutcome[]): Promise<RunCounters | undefined> {
    const col = <K extends keyof TaskOutcome>(key: K) => sql.param(outcomes.map((o) => o[key]));
    const [counters] = await this.db.execute<RunCounters>(sql`with
      v as (select * from unnest(${col('id')}::uuid[], ${col('attempt')}::int[], ${col('status')}::text[], ${col('renderedPrompt')}::text[],
          ${col('output')}::text[], ${col('error')}::text[], ${col('latencyMs')}::float8[], ${col('promptTokens')}::int[],
          ${col('completionTokens')}::int[], ${col('costUsd')}::float8[], ${col('reservedUsd')}::float8[], ${col('retryInSeconds')}::float8[],
          ${sql.param(outcomes.map((o) => (o.metrics === null ? null : JSON.stringify(o.metrics))))}::text[])
        as v(id, attempt, status, rendered, output, error, latency, pt, ct, cost, reserved, delay, metrics)),
      written as (
        update tasks t set
          status = case when v.status = 'RELEASED' then t.status else v.status::task_status end,
          rendered_prompt = coalesce(v.rendered, t.rendered_prompt),
          output = case when v.status = 'RELEASED' then t.output else v.output end,
          error = case when v.status = 'RELEASED' then t.error else v.error end,
          latency_ms = case when v.status = 'RELEASED' then t.latency_ms else v.latency end,
          prompt_tokens = case when v.status = 'RELEASED' then t.prompt_tokens else v.pt end,
          completion_tokens = case when v.status = 'RELEASED' then t.completion_tokens else v.ct end,
          cost_usd = case when v.status = 'RELEASED' then t.cost_usd else v.cost end,
          metrics = case when v.status = 'RELEASED' then t.metrics else v.metrics::jsonb end,
          reserved_usd = 0,
          lease_until = case when v.status = 'QUEUED' and v.delay > 0 then now() + make_interval(secs => v.delay) else null end,
          finished_at = case when v.status in ${ENDED} then now() else null end
        from v
        where t.id = v.id and t.attempts = v.attempt and t.status = 'RUNNING' and t.run_id = ${runId}
        returning t.status, v.pt, v.ct, v.cost, v.reserved, t.seq, to_jsonb(t) as task),
      moved as (select 'RUNNING'::task_status as old, status as new, pt, ct, cost, reserved as released, seq, task from written),
      ${countersCtes(runId)}
      select counted.*, ${EVENTS} from counted`);
    return counters;
  }

  /**
   * Renews the leases still held; returns each held task's run status (a CANCELLING run's tasks
   * are aborted by their worker). A claim missing from the result was lost.
   */
  async renew(claims: readonly Claim[], leaseSeconds: number): Promise<Map<string, string>> {
    if (claims.length === 0) return new Map();
    const rows = await this.db.execute<{ id: string; runStatus: string }>(sql`update tasks set lease_until = now() + make_interval(secs => ${leaseSeconds})
      from runs r
      where r.id = tasks.run_id and tasks.status = 'RUNNING'
        and ${taskLeases.heldByAny(sql.param(claims.map((c) => c.id)), sql.param(claims.map((c) => c.attempt)))}
      returning tasks.id, r.status as "runStatus"`);
    return new Map(rows.map((r) => [r.id, r.runStatus]));
  }

  /**
   * Cancels the run's tasks that no worker holds (QUEUED, or RUNNING with a free or expired lease),
   * with the counters; for cancelRun, a failed budget, and the tasks of a dead worker in a
   * CANCELLING run.
   */
  async cancelUnheld(runId: string, why: string): Promise<RunCounters | undefined> {
    const [counters] = await this.db.execute<RunCounters>(sql`with
      c as (select id, status as old, reserved_usd from tasks
        where run_id = ${runId} and status in ('QUEUED', 'RUNNING') and (status = 'QUEUED' or ${taskLeases.isFree()})
        for update skip locked),
      written as (
        update tasks t set status = 'CANCELLED', error = ${why}, lease_until = null, reserved_usd = 0, finished_at = now()
        from c where t.id = c.id
        returning c.old, c.reserved_usd, t.seq, to_jsonb(t) as task),
      moved as (select old, 'CANCELLED'::task_status as new, 0 as pt, 0 as ct, 0::float8 as cost, reserved_usd as released, seq, task from written),
      ${countersCtes(runId)}
      select counted.*, ${EVENTS} from counted`);
    return counters;
  }

  /** Sets why the run cannot go on; claims stop at once (lockRun refuses a run with an error). */
  async setRunError(runId: string, error: string): Promise<void> {
    await this.db.execute(sql`update runs set error = ${error} where id = ${runId} and error is null`);
  }

  /** Runs whose tasks have all ended and that are not final yet, or CANCELLING runs still holding tasks. */
  async cancellingRuns(limit: number): Promise<{ id: string }[]> {
    return this.db.execute<{ id: string }>(sql`select id from runs where status = 'CANCELLING' and (queued_tasks > 0 or running_tasks > 0)
      order by created_at limit ${limit}`);
  }

  /** Claims runs whose every task has ended, to finish them (write results.jsonl, set the final status). */
  async claimFinishable(limit: number, leaseSeconds: number) {
    return runFinishLeases.claim(this.db as Executor, {
      where: sql`${runs.status} in ('QUEUED', 'RUNNING', 'CANCELLING') and ${runs.queuedTasks} = 0 and ${runs.runningTasks} = 0`,
      order: [runs.createdAt],
      limit,
      leaseSeconds,
    });
  }

  /** Up to `limit` tasks of the run after `afterSeq`, in order, with their rows: the lines of results.jsonl. */
  async resultsPage(runId: string, afterSeq: number, limit: number): Promise<(TaskRow & { input: unknown; expected: unknown })[]> {
    return this.db.execute(sql`select t.id, t.seq, t.row_index as "rowIndex", t.repetition, t.model_id as "modelId",
        t.prompt_version_id as "promptVersionId", t.status, t.attempts, t.output, t.error, t.latency_ms as "latencyMs",
        t.prompt_tokens as "promptTokens", t.completion_tokens as "completionTokens", t.cost_usd as "costUsd",
        t.rendered_prompt as "renderedPrompt", t.metrics, rr.input, rr.expected
      from tasks t join run_rows rr on rr.run_id = t.run_id and rr.row_index = t.row_index
      where t.run_id = ${runId} and t.seq > ${afterSeq} order by t.seq limit ${limit}`) as never;
  }

  async renewFinish(claim: Claim, leaseSeconds: number): Promise<boolean> {
    return runFinishLeases.renew(this.db as Executor, claim, leaseSeconds);
  }

  async releaseFinish(claim: Claim): Promise<boolean> {
    return runFinishLeases.release(this.db as Executor, claim);
  }

  /** The error of the run's first FAILED task, for the run's own error when all failed. */
  async firstError(runId: string): Promise<string | null> {
    const [row] = await this.db.execute<{ error: string | null }>(
      sql`select error from tasks where run_id = ${runId} and status = 'FAILED' order by seq limit 1`,
    );
    return row?.error ?? null;
  }

  /**
   * Sets the run's final status, if the finisher's claim still holds and no task is left, with its
   * run event; undefined when the claim was lost.
   */
  async complete(claim: Claim, status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED', error: string | null): Promise<RunEventJson | undefined> {
    return this.changeStatus(
      sql`status = ${status}::run_status, error = ${error}, finished_at = now(), lease_until = null`,
      runFinishLeases.heldBy(claim, sql`${runs.queuedTasks} = 0 and ${runs.runningTasks} = 0`),
    );
  }

  /** QUEUED or RUNNING becomes CANCELLING, with its run event; undefined when the run was in another state. */
  async markCancelling(projectId: string, runId: string): Promise<RunEventJson | undefined> {
    return this.changeStatus(
      sql`status = 'CANCELLING'`,
      sql`${runs.id} = ${runId} and ${runs.projectId} = ${projectId} and ${runs.status} in ('QUEUED', 'RUNNING')`,
    );
  }

  /** A run status change and its event (the run's next sequence number), in one statement. */
  private async changeStatus(set: SQL, where: SQL): Promise<RunEventJson | undefined> {
    const [event] = await this.db.execute<RunEventJson>(sql`with
      changed as (update runs set ${set}, last_sequence = last_sequence + 1 where ${where} returning *),
      events as (
        insert into run_events (run_id, sequence, task, status, error, progress)
        select id, last_sequence, null, status, error, ${progressJson(sql`changed`)} from changed
        returning run_id, sequence, task, status, error, progress)
      select * from events`);
    return event;
  }

  /** The run's events after `afterSequence`, in order, up to `limit`: what a subscription replays. */
  async eventsAfter(runId: string, afterSequence: number, limit: number): Promise<RunEventJson[]> {
    return this.db.execute<RunEventJson>(sql`select run_id, sequence, task, status, error, progress from run_events
      where run_id = ${runId} and sequence > ${afterSequence} order by sequence limit ${limit}`);
  }

  /** Up to `limit` tasks of each run after the seq cursor, in task order, in one statement. */
  pagesByRun(projectId: string, runIds: readonly string[], args: TaskPageArgs, limit: number): Promise<TaskRow[]> {
    const statement = this.prepared(`pages|${args.status?.length ? 'status' : ''}|${args.afterSeq === null ? 'first' : 'after'}`, () => {
      const page = this.db
        .select()
        .from(tasks)
        .where(
          and(
            eq(tasks.runId, parentId),
            eq(tasks.projectId, sql.placeholder('projectId')),
            args.status?.length ? sql`${tasks.status} = any(${sql.placeholder('status')}::task_status[])` : undefined,
            args.afterSeq === null ? undefined : sql`${tasks.seq} > ${sql.placeholder('afterSeq')}`,
          ),
        )
        .orderBy(asc(tasks.seq))
        .limit(sql.placeholder('limit'))
        .as('page');
      return this.db.select(fieldsOf(page)).from(eachParent).crossJoinLateral(page).orderBy(parentPosition, asc(page.seq)).prepare('tasks_pages');
    });
    return statement.execute({ projectId, parentIds: runIds, status: args.status, afterSeq: args.afterSeq, limit });
  }

  /** The dataset rows of (runId, rowIndex) pairs given as parallel arrays, project-scoped through the run. */
  rowsOf(projectId: string, runIds: string[], rowIndexes: number[]): Promise<{ runId: string; rowIndex: number; input: unknown; expected: unknown }[]> {
    return this.db.execute(sql`select rr.run_id as "runId", rr.row_index as "rowIndex", rr.input, rr.expected
      from unnest(${sql.param(runIds)}::uuid[], ${sql.param(rowIndexes)}::int[]) as k(run_id, row_index)
      join run_rows rr on rr.run_id = k.run_id and rr.row_index = k.row_index
      join runs r on r.id = rr.run_id and r.project_id = ${projectId}`) as never;
  }

  /** Where each task of the run sits (row, prompt version, model, repetition), in task order: what comparisons pair by. */
  places(runId: string): Promise<{ taskId: string; rowIndex: number; promptVersionId: string; modelId: string; repetition: number }[]> {
    return this.db.execute(sql`select id as "taskId", row_index as "rowIndex", prompt_version_id as "promptVersionId", model_id as "modelId", repetition
      from tasks where run_id = ${runId} order by seq`) as never;
  }

  /** Tasks by ids (for loaders), project-scoped. */
  byIds(projectId: string, ids: readonly string[]): Promise<TaskRow[]> {
    return this.prepared('byIds', () =>
      this.db.select().from(tasks).where(sql`${tasks.projectId} = ${sql.placeholder('projectId')} and ${anyId(tasks.id, 'ids')}`).prepare('tasks_by_ids'),
    ).execute({ projectId, ids });
  }
}
