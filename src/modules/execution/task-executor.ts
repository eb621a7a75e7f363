import type { Logger } from 'pino';
import type { SecretBox } from '../../common/secret-box.js';
import { ProviderError } from '../../providers/errors.js';
import { CircuitOpenError, type CallPolicies } from '../../providers/resilience.js';
import type { RequestRateLimiter } from '../../providers/rate-limit.js';
import type { Db } from '../../storage/postgres.js';
import type { LabPubSub } from '../../storage/pubsub.js';
import type { Claim } from '../../workflow/leases.js';
import type { Job } from '../../workflow/worker.js';
import { BUDGET_ERROR_PREFIX } from '../runs/runs.service.js';
import { publishRunEvents } from '../runs/run-events.js';
import { TasksRepo, type RunEventJson, type CandidateTask, type OutcomeStatus, type RunCounters, type TaskOutcome } from '../runs/tasks.repo.js';
import { costUsd, RunContext, type RenderedPrompt } from './run-context.js';
import type { TaskScorer } from './scoring.js';
import { providerCallDuration, providerCalls, tasksFinished } from '../../observability/metrics.js';
import { inSpan, linkTo, tracingEnabled } from '../../observability/tracing.js';

export interface ExecutorSettings {
  /** Calls this process keeps in flight across all runs. */
  capacity: number;
  /** Tasks claimed ahead of a free slot (they count against the caps like calls in flight). */
  prefetch: number;
  leaseSeconds: number;
  /** A task claimed more often than this fails instead of being tried again (a poison task, or a worker dying on it). */
  maxTaskAttempts: number;
  /** Outcomes are written together every this many ms, or at once when flushSize are waiting. */
  flushMs: number;
  flushSize: number;
  /** On stop, calls in flight may finish for this long; then the rest are aborted and their tasks given back. */
  stopGraceMs: number;
}

/** Why a call in flight was aborted. */
class StopReason extends Error {
  constructor(readonly kind: 'cancelled' | 'lease-lost' | 'stopping') {
    super(kind === 'cancelled' ? 'the run was cancelled' : kind === 'lease-lost' ? 'the task was taken over by another worker' : 'the worker is stopping');
  }
}

/** A task this worker holds under a lease: waiting in `ready`, or its call in flight. */
interface Held {
  claim: Claim;
  context: RunContext;
  pick: Picked;
  controller: AbortController;
}

interface Picked {
  task: CandidateTask;
  rendered: RenderedPrompt | null;
  renderError: string | null;
  reservedUsd: number;
}

const RUN_CONTEXTS_KEPT = 64;
export const CANCELLED_BEFORE_CALL = 'the run was cancelled before this task was called';
export const CANCELLED_IN_FLIGHT = 'the run was cancelled while the call was in flight';
/** After a claim that found less work than it asked for, look again after this long (or when a call ends). */
const RECLAIM_AFTER_MS = 250;

/**
 * The worker's side of the task queue: keeps up to `capacity` provider calls in flight, claiming
 * tasks in batches per run (under the run's and each model's concurrency caps and the run's
 * budget), renews their leases in one statement, and writes outcomes in batches fenced by attempt.
 */
export class TaskExecutor implements Job {
  readonly name = 'tasks';
  readonly wakeTopic = 'jobs:tasks' as const;
  readonly idlePollMs = 1_000;

  private readonly held = new Map<string, Held>();
  /** Claimed ahead, waiting for a call slot: a slot that frees starts one at once, without a claim round-trip. */
  private readonly ready: Held[] = [];
  private calling = 0;
  private readonly pending = new Map<RunContext, TaskOutcome[]>();
  private pendingCount = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private readonly contexts = new Map<string, RunContext>();
  private slotWaiters: (() => void)[] = [];
  private workWaiters: (() => void)[] = [];
  /** Calls ended so far: a claim loop that saw this move while it claimed does not wait for the next. */
  private callsEnded = 0;
  /** Tasks whose call ended here and whose outcome is not written yet. */
  private readonly unsettled = new Map<string, string>();
  private renewTimer: NodeJS.Timeout | null = null;
  private graceTimer: NodeJS.Timeout | null = null;
  private cancelListener: AsyncIterator<unknown> | null = null;
  private workListener: AsyncIterator<unknown> | null = null;

  constructor(
    private readonly db: Db,
    private readonly tasks: TasksRepo,
    private readonly secrets: SecretBox,
    private readonly policies: CallPolicies,
    private readonly rateLimiter: RequestRateLimiter,
    private readonly pubsub: LabPubSub,
    private readonly settings: ExecutorSettings,
    private readonly logger: Logger,
    private readonly scorer: TaskScorer,
    /** Called with the outcomes each write applied (the fence let them through), after it committed. */
    private readonly onSettled: (context: RunContext, tasks: readonly SettledTask[]) => Promise<void> = async () => {},
  ) {}

  async runOnce(signal?: AbortSignal): Promise<boolean> {
    this.start(signal);
    if (signal?.aborted) {
      await this.drain();
      return false;
    }
    const free = this.settings.capacity + this.settings.prefetch - this.held.size;
    const endedBefore = this.callsEnded;
    const { claimed, found } = free > 0 ? await this.claim(free) : { claimed: 0, found: true };
    if (this.held.size === 0) {
      await this.flush();
      return false;
    }
    // Calls that ended while it claimed made room already: claim again at once. Otherwise wait for a
    // call to end (a slot, and room under the caps), or, with no work left, for new work or the next look.
    const work = found || claimed > 0;
    if (!work || this.callsEnded === endedBefore) await this.nextSlot(RECLAIM_AFTER_MS, work, signal);
    if (signal?.aborted) await this.drain();
    return true;
  }

  /** Renewal beat and cancel events, from the first call on. */
  private start(signal?: AbortSignal): void {
    if (this.renewTimer) return;
    const every = (this.settings.leaseSeconds * 1000) / 3;
    this.renewTimer = setInterval(() => void this.renew(), every);
    this.renewTimer.unref();
    const events = this.pubsub.subscribe('runs:cancelled');
    this.cancelListener = events;
    void (async () => {
      for await (const event of events) this.abortRun(event.runId, 'cancelled');
    })();
    const work = this.pubsub.subscribe('jobs:tasks');
    this.workListener = work;
    void (async () => {
      for await (const _event of work) this.wakeForWork();
    })();
    signal?.addEventListener(
      'abort',
      () => {
        this.stopping();
        this.wakeForWork();
      },
      { once: true },
    );
  }

  /**
   * On stop: tasks claimed ahead are given back at once; calls in flight may finish within the grace
   * period (their leases still renewed, their outcomes written), then the rest are aborted and given back.
   */
  private stopping(): void {
    if (this.graceTimer) return;
    const stop = new StopReason('stopping');
    for (const entry of this.ready.splice(0)) {
      entry.controller.abort(stop);
      void this.execute(entry);
    }
    const abortAll = () => {
      for (const entry of this.held.values()) entry.controller.abort(stop);
      this.wakeSlots();
    };
    this.graceTimer = setTimeout(abortAll, this.settings.stopGraceMs);
    if (this.held.size > 0) this.logger.info({ inFlight: this.held.size, graceMs: this.settings.stopGraceMs }, 'stopping: calls in flight may finish within the grace period');
  }

  /** Stops as `stopping` says, waits until no task is held, writes what is pending, and stops the timers. */
  private async drain(): Promise<void> {
    this.stopping();
    while (this.held.size > 0) await this.nextSlot(1_000, true);
    await this.flush();
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = null;
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
    await this.cancelListener?.return?.();
    await this.workListener?.return?.();
    this.cancelListener = null;
    this.workListener = null;
  }

  private abortRun(runId: string, kind: 'cancelled'): void {
    for (const entry of this.held.values()) if (entry.context.runId === runId) entry.controller.abort(new StopReason(kind));
  }

  private async renew(): Promise<void> {
    const entries = [...this.held.values()];
    if (entries.length === 0) return;
    try {
      const held = await this.tasks.renew(
        entries.map((e) => e.claim),
        this.settings.leaseSeconds,
      );
      for (const entry of entries) {
        const runStatus = held.get(entry.claim.id);
        // Ended meanwhile: its outcome was already written, nothing to abort.
        if (!this.held.has(entry.claim.id)) continue;
        if (runStatus === undefined) entry.controller.abort(new StopReason('lease-lost'));
        else if (runStatus === 'CANCELLING' || runStatus === 'CANCELLED') entry.controller.abort(new StopReason('cancelled'));
      }
    } catch (err) {
      // The fence keeps a late write harmless; the next beat tries again.
      this.logger.warn({ err }, 'could not renew task leases; retrying at the next beat');
    }
  }

  /**
   * Claims up to `want` tasks over the active runs, oldest run first, and starts them; `found` is
   * false when no run had a claimable task left (as opposed to caps that were full).
   */
  private async claim(want: number): Promise<{ claimed: number; found: boolean }> {
    let claimed = 0;
    let found = false;
    for (const { id } of await this.tasks.activeRuns(16)) {
      if (claimed >= want) break;
      try {
        const fromRun = await this.claimFromRun(id, want - claimed);
        claimed += fromRun.claimed;
        found ||= fromRun.found;
      } catch (err) {
        this.logger.error({ err, runId: id }, 'could not claim tasks of a run; trying again shortly');
      }
    }
    return { claimed, found };
  }

  private async context(runId: string): Promise<RunContext | undefined> {
    let context = this.contexts.get(runId);
    if (context) return context;
    const snapshot = await this.tasks.snapshot(runId);
    if (!snapshot) return undefined;
    context = new RunContext(runId, snapshot, this.secrets);
    if (this.contexts.size >= RUN_CONTEXTS_KEPT) this.contexts.delete(this.contexts.keys().next().value!);
    this.contexts.set(runId, context);
    return context;
  }

  private async claimFromRun(runId: string, want: number): Promise<{ claimed: number; found: boolean }> {
    const context = await this.context(runId);
    if (!context) return { claimed: 0, found: false };
    const modelIds = [...context.models.keys()];
    // Calls of this worker that ended but whose outcome is not written yet are no longer at the provider.
    const ended = [...this.unsettled.keys()];
    const unsettledInRun = ended.some((id) => this.unsettled.get(id) === runId);
    const claimed = await this.db.transaction(async (tx): Promise<{ picked: (Picked & { attempt: number })[]; counters?: RunCounters | undefined; found: boolean; events?: RunEventJson[] }> => {
      const repo = this.tasks.in(tx);
      const run = await repo.lockRun(runId);
      if (!run) return { picked: [], found: false };
      await repo.lockModels([...modelIds].sort());
      const counts = new Map((await repo.inFlight(runId, modelIds, ended)).map((c) => [c.modelId, c]));
      const runInFlight = [...counts.values()].reduce((sum, c) => sum + c.inRun, 0);
      let runFree = run.concurrency === null ? Number.POSITIVE_INFINITY : run.concurrency - runInFlight;
      let budgetLeft = run.maxCostUsd === null ? Number.POSITIVE_INFINITY : run.maxCostUsd - run.costUsd - run.reservedUsd;
      let budgetBlocked: number | null = null;
      let found = false;
      const picked: Picked[] = [];
      // An equal share of what is wanted for each model, so one model's backlog does not starve another's.
      for (const [i, modelId] of modelIds.entries()) {
        const model = context.models.get(modelId)!;
        const share = Math.ceil((want - picked.length) / (modelIds.length - i));
        const n = Math.min(share, runFree, model.snapshot.maxConcurrency - (counts.get(modelId)?.total ?? 0));
        if (n <= 0) {
          found = true;
          continue;
        }
        const candidates = await repo.candidates(runId, modelId, n);
        found ||= candidates.length > 0;
        for (const task of candidates) {
          const pick = this.prepare(context, task);
          // A task taken over from a dead worker gives back what that worker reserved for it.
          const cost = pick.reservedUsd - task.reservedUsd;
          if (cost > budgetLeft) {
            budgetBlocked = pick.reservedUsd;
            break;
          }
          budgetLeft -= cost;
          picked.push(pick);
          runFree -= 1;
        }
        if (budgetBlocked !== null) break;
      }
      if (picked.length === 0 && budgetBlocked !== null && runInFlight === 0 && !unsettledInRun) {
        // Nothing in flight or unwritten can free budget: the run cannot go on.
        const spent = run.costUsd;
        await repo.setRunError(
          runId,
          `${BUDGET_ERROR_PREFIX} spent $${spent.toFixed(6)} of maxCostUsd $${run.maxCostUsd}; the next task could cost up to $${budgetBlocked.toFixed(6)}, so no further call was started.`,
        );
        return { picked: [], counters: await repo.cancelUnheld(runId, 'not run: the run stopped at its budget (maxCostUsd).'), found: false };
      }
      if (picked.length === 0) return { picked: [], found };
      const taken = await repo.take(
        runId,
        picked.map((p) => ({ id: p.task.id, reservedUsd: p.reservedUsd })),
        this.settings.leaseSeconds,
      );
      const attempts = new Map(taken.claimed.map((r) => [r.id, r.attempts]));
      return { picked: picked.map((p) => ({ ...p, attempt: attempts.get(p.task.id)! })), found: true, events: taken.events };
    });
    if (claimed.counters) this.countersMoved(claimed.counters);
    if (claimed.events) publishRunEvents(this.pubsub, claimed.events);
    for (const pick of claimed.picked) {
      const entry: Held = { claim: { id: pick.task.id, attempt: pick.attempt }, context, pick, controller: new AbortController() };
      this.held.set(pick.task.id, entry);
      this.ready.push(entry);
    }
    this.startReady();
    return { claimed: claimed.picked.length, found: claimed.found };
  }

  private prepare(context: RunContext, task: CandidateTask): Picked {
    try {
      const rendered = context.render(task.promptVersionId, task.input);
      return { task, rendered, renderError: null, reservedUsd: context.worstCostUsd(task.modelId, rendered) };
    } catch (err) {
      return { task, rendered: null, renderError: `the prompt could not be rendered: ${(err as Error).message}`, reservedUsd: 0 };
    }
  }

  /** Starts waiting tasks while call slots are free. */
  private startReady(): void {
    while (this.calling < this.settings.capacity && this.ready.length > 0) void this.execute(this.ready.shift()!);
  }

  /** One call, from its slot to its outcome; never throws. */
  private async execute(entry: Held): Promise<void> {
    const { context, pick, controller } = entry;
    const { task } = pick;
    const attempt = entry.claim.attempt;
    this.calling += 1;
    const base = { id: task.id, attempt, reservedUsd: pick.reservedUsd, renderedPrompt: pick.rendered?.prompt ?? null };
    let outcome: TaskOutcome | null;
    try {
      outcome = tracingEnabled()
        ? await inSpan('task', { 'lab.run.id': context.runId, 'lab.task.id': task.id, 'lab.task.attempt': attempt }, () => this.call(context, pick, attempt, controller.signal, base), linkTo(context.traceParent))
        : await this.call(context, pick, attempt, controller.signal, base);
    } catch (err) {
      outcome = this.outcomeOfError(err, controller.signal, base, task.id);
    }
    this.calling -= 1;
    this.held.delete(task.id);
    if (outcome) this.record(context, outcome);
    this.callsEnded += 1;
    this.startReady();
    this.wakeSlots();
  }

  private async call(context: RunContext, pick: Picked, attempt: number, signal: AbortSignal, base: OutcomeBase): Promise<TaskOutcome | null> {
    // Cancelled, taken over or given back while it waited: no call.
    if (signal.aborted) return this.outcomeOfStop(signal.reason as StopReason, base, CANCELLED_BEFORE_CALL);
    if (pick.renderError !== null) return ended(base, 'FAILED', { error: pick.renderError });
    if (attempt > this.settings.maxTaskAttempts) {
      return ended(base, 'FAILED', { error: `gave up after ${attempt - 1} attempts: each time the worker holding the task stopped or lost it.` });
    }
    const model = context.models.get(pick.task.modelId)!;
    const rendered = pick.rendered!;
    if (model.snapshot.requestsPerMinute !== null) await this.rateLimiter.acquire(model.snapshot.id, model.snapshot.requestsPerMinute, signal);
    let latencyMs = 0;
    const labels = { provider: model.snapshot.provider, model: model.snapshot.modelName };
    const result = await this.policies.forModel(model.snapshot.id).execute(async (attemptSignal) => {
      const started = performance.now();
      let outcome = 'error';
      try {
        const answer = await inSpan('provider.call', { 'lab.provider': labels.provider, 'lab.model': labels.model }, () =>
          model.client.complete({ system: rendered.system, prompt: rendered.prompt, signal: attemptSignal }),
        );
        outcome = 'ok';
        return answer;
      } finally {
        latencyMs = performance.now() - started;
        providerCalls.inc({ ...labels, outcome });
        providerCallDuration.observe(labels, latencyMs / 1000);
      }
    }, signal);
    const cost = costUsd(model.snapshot, result.promptTokens, result.completionTokens);
    const scored = await this.scorer.score(context, pick.task.input, pick.task.expected, { ...result, latencyMs, costUsd: cost }, signal);
    return ended(base, 'SUCCEEDED', {
      output: result.output,
      error: scored.problems.length > 0 ? `the call succeeded, but evaluators could not score it: ${scored.problems.join(' ')}` : null,
      latencyMs,
      promptTokens: result.promptTokens,
      completionTokens: result.completionTokens,
      costUsd: cost,
      metrics: scored.metrics,
    });
  }

  private outcomeOfStop(reason: StopReason, base: OutcomeBase, cancelled: string): TaskOutcome | null {
    if (reason.kind === 'lease-lost') return null;
    if (reason.kind === 'stopping') return ended(base, 'RELEASED', {});
    return ended(base, 'CANCELLED', { error: cancelled });
  }

  private outcomeOfError(err: unknown, signal: AbortSignal, base: OutcomeBase, taskId: string): TaskOutcome | null {
    const reason = signal.aborted ? signal.reason : null;
    if (reason instanceof StopReason) return this.outcomeOfStop(reason, base, CANCELLED_IN_FLIGHT);
    if (err instanceof CircuitOpenError) {
      return ended(base, 'QUEUED', { error: null, retryInSeconds: Math.max(1, Math.ceil(err.retryAfterMs / 1000)) });
    }
    if (err instanceof ProviderError) return ended(base, 'FAILED', { error: err.message });
    this.logger.error({ err, taskId }, 'a task failed with an unexpected error');
    return ended(base, 'FAILED', { error: 'the worker failed unexpectedly on this task; its log has the details (search for the task id).' });
  }

  private record(context: RunContext, outcome: TaskOutcome): void {
    this.unsettled.set(outcome.id, context.runId);
    let list = this.pending.get(context);
    if (!list) this.pending.set(context, (list = []));
    list.push(outcome);
    this.pendingCount += 1;
    if (this.pendingCount >= this.settings.flushSize) void this.flush();
    else this.flushTimer ??= setTimeout(() => void this.flush(), this.settings.flushMs);
  }

  /** Writes the pending outcomes, one statement per run; one flush at a time. */
  flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.pendingCount === 0) return this.flushing;
    const batch = [...this.pending];
    this.pending.clear();
    this.pendingCount = 0;
    this.flushing = this.flushing.then(async () => {
      for (const [context, outcomes] of batch) {
        const runId = context.runId;
        try {
          const counters = await this.tasks.settle(runId, outcomes);
          for (const outcome of outcomes) {
            this.unsettled.delete(outcome.id);
            tasksFinished.inc({ status: outcome.status });
          }
          if (counters) {
            this.countersMoved(counters);
            await this.settled(context, counters);
          }
        } catch (err) {
          // Kept for the next flush: the leases outlive a short outage, and the fence makes a late write safe.
          this.logger.warn({ err, runId, outcomes: outcomes.length }, 'could not write task outcomes; retrying');
          for (const outcome of outcomes) this.record(context, outcome);
        }
      }
    });
    return this.flushing;
  }

  /** The tasks this write ended as SUCCEEDED with metrics, from its events (an outcome the fence refused has none). */
  private async settled(context: RunContext, counters: RunCounters): Promise<void> {
    const done: SettledTask[] = [];
    for (const event of counters.events) {
      const task = event.task as SettledTaskJson | null;
      if (task?.status === 'SUCCEEDED' && task.metrics) done.push(task as SettledTask);
    }
    // Waits only while the metric writer is full (its bound on memory), slowing further writes.
    if (done.length > 0) await this.onSettled(context, done).catch((err) => this.logger.error({ err, runId: context.runId }, 'could not record metric points'));
  }

  private countersMoved(counters: RunCounters): void {
    publishRunEvents(this.pubsub, counters.events);
    if (counters.queuedTasks === 0 && counters.runningTasks === 0) this.pubsub.publish('jobs:run-finish', { runId: counters.runId });
  }

  private wakeSlots(): void {
    const waiters = this.slotWaiters;
    this.slotWaiters = [];
    for (const wake of waiters) wake();
  }

  private wakeForWork(): void {
    const waiters = this.workWaiters;
    this.workWaiters = [];
    for (const wake of waiters) wake();
    this.wakeSlots();
  }

  /** Resolves after `ms`, when new work is announced, on stopping, or (onCompletion) when a call ends. */
  private nextSlot(ms: number, onCompletion: boolean, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      (onCompletion ? this.slotWaiters : this.workWaiters).push(done);
    });
  }
}

/** A task row as its run event carries it (to_jsonb of the row: snake_case). */
interface SettledTaskJson {
  id: string;
  status: string;
  model_id: string;
  prompt_version_id: string;
  row_index: number;
  repetition: number;
  finished_at: string;
  metrics: Record<string, number> | null;
}
export type SettledTask = SettledTaskJson & { metrics: Record<string, number> };

type OutcomeBase = Pick<TaskOutcome, 'id' | 'attempt' | 'reservedUsd' | 'renderedPrompt'>;

function ended(base: OutcomeBase, status: OutcomeStatus, values: Partial<TaskOutcome>): TaskOutcome {
  return {
    ...base,
    status,
    output: null,
    error: null,
    latencyMs: null,
    promptTokens: null,
    completionTokens: null,
    costUsd: null,
    metrics: null,
    retryInSeconds: 0,
    ...values,
  };
}
