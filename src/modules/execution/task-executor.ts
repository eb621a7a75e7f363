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
import { TasksRepo, type CandidateTask, type OutcomeStatus, type RunCounters, type TaskOutcome } from '../runs/tasks.repo.js';
import { costUsd, RunContext, type RenderedPrompt } from './run-context.js';

export interface ExecutorSettings {
  /** Calls this process keeps in flight across all runs. */
  capacity: number;
  leaseSeconds: number;
  /** A task claimed more often than this fails instead of being tried again (a poison task, or a worker dying on it). */
  maxTaskAttempts: number;
  /** Outcomes are written together every this many ms, or at once when flushSize are waiting. */
  flushMs: number;
  flushSize: number;
}

/** Why a call in flight was aborted. */
class StopReason extends Error {
  constructor(readonly kind: 'cancelled' | 'lease-lost' | 'stopping') {
    super(kind === 'cancelled' ? 'the run was cancelled' : kind === 'lease-lost' ? 'the task was taken over by another worker' : 'the worker is stopping');
  }
}

interface InFlight {
  claim: Claim;
  runId: string;
  controller: AbortController;
  reservedUsd: number;
}

interface Picked {
  task: CandidateTask;
  rendered: RenderedPrompt | null;
  renderError: string | null;
  reservedUsd: number;
}

const RUN_CONTEXTS_KEPT = 64;
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

  private readonly inFlight = new Map<string, InFlight>();
  private readonly pending = new Map<string, TaskOutcome[]>();
  private pendingCount = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private readonly contexts = new Map<string, RunContext>();
  private slotWaiters: (() => void)[] = [];
  private renewTimer: NodeJS.Timeout | null = null;
  private cancelListener: AsyncIterator<unknown> | null = null;

  constructor(
    private readonly db: Db,
    private readonly tasks: TasksRepo,
    private readonly secrets: SecretBox,
    private readonly policies: CallPolicies,
    private readonly rateLimiter: RequestRateLimiter,
    private readonly pubsub: LabPubSub,
    private readonly settings: ExecutorSettings,
    private readonly logger: Logger,
    /** Told of every write that moved a run's tasks (run events hook in here). */
    private readonly onCounters: (counters: RunCounters) => void = () => {},
  ) {}

  async runOnce(signal?: AbortSignal): Promise<boolean> {
    this.start(signal);
    if (signal?.aborted) {
      await this.drain();
      return false;
    }
    const free = this.settings.capacity - this.inFlight.size;
    const claimed = free > 0 ? await this.claim(free) : 0;
    if (this.inFlight.size === 0) {
      await this.flush();
      return false;
    }
    if (claimed < free) await this.nextSlot(RECLAIM_AFTER_MS, signal);
    else await this.freeSlots(Math.max(1, Math.min(100, Math.ceil(this.settings.capacity / 4))), signal);
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
    signal?.addEventListener(
      'abort',
      () => {
        for (const entry of this.inFlight.values()) entry.controller.abort(new StopReason('stopping'));
        this.wakeSlots();
      },
      { once: true },
    );
  }

  /** Gives back every claim (the calls are aborted), writes what is pending, and stops the timers. */
  private async drain(): Promise<void> {
    for (const entry of this.inFlight.values()) entry.controller.abort(new StopReason('stopping'));
    while (this.inFlight.size > 0) await this.nextSlot(1_000);
    await this.flush();
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
    await this.cancelListener?.return?.();
    this.cancelListener = null;
  }

  private abortRun(runId: string, kind: 'cancelled'): void {
    for (const entry of this.inFlight.values()) if (entry.runId === runId) entry.controller.abort(new StopReason(kind));
  }

  private async renew(): Promise<void> {
    const entries = [...this.inFlight.values()];
    if (entries.length === 0) return;
    try {
      const held = await this.tasks.renew(
        entries.map((e) => e.claim),
        this.settings.leaseSeconds,
      );
      for (const entry of entries) {
        const runStatus = held.get(entry.claim.id);
        // Ended meanwhile: its outcome was already written, nothing to abort.
        if (!this.inFlight.has(entry.claim.id)) continue;
        if (runStatus === undefined) entry.controller.abort(new StopReason('lease-lost'));
        else if (runStatus === 'CANCELLING' || runStatus === 'CANCELLED') entry.controller.abort(new StopReason('cancelled'));
      }
    } catch (err) {
      // The fence keeps a late write harmless; the next beat tries again.
      this.logger.warn({ err }, 'could not renew task leases; retrying at the next beat');
    }
  }

  /** Claims up to `want` tasks over the active runs, oldest run first, and starts them. */
  private async claim(want: number): Promise<number> {
    let claimed = 0;
    for (const { id } of await this.tasks.activeRuns(16)) {
      if (claimed >= want) break;
      try {
        claimed += await this.claimFromRun(id, want - claimed);
      } catch (err) {
        this.logger.error({ err, runId: id }, 'could not claim tasks of a run; trying again shortly');
      }
    }
    return claimed;
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

  private async claimFromRun(runId: string, want: number): Promise<number> {
    const context = await this.context(runId);
    if (!context) return 0;
    const modelIds = [...context.models.keys()];
    const claimed = await this.db.transaction(async (tx): Promise<{ picked: (Picked & { attempt: number })[]; counters?: RunCounters | undefined }> => {
      const repo = this.tasks.in(tx);
      const run = await repo.lockRun(runId);
      if (!run) return { picked: [] };
      await repo.lockModels([...modelIds].sort());
      const counts = new Map((await repo.inFlight(runId, modelIds)).map((c) => [c.modelId, c]));
      const runInFlight = [...counts.values()].reduce((sum, c) => sum + c.inRun, 0);
      let runFree = run.concurrency === null ? Number.POSITIVE_INFINITY : run.concurrency - runInFlight;
      let budgetLeft = run.maxCostUsd === null ? Number.POSITIVE_INFINITY : run.maxCostUsd - run.costUsd - run.reservedUsd;
      let budgetBlocked: number | null = null;
      const picked: Picked[] = [];
      // An equal share of what is wanted for each model, so one model's backlog does not starve another's.
      for (const [i, modelId] of modelIds.entries()) {
        const model = context.models.get(modelId)!;
        const share = Math.ceil((want - picked.length) / (modelIds.length - i));
        const n = Math.min(share, runFree, model.snapshot.maxConcurrency - (counts.get(modelId)?.total ?? 0));
        if (n <= 0) continue;
        for (const task of await repo.candidates(runId, modelId, n)) {
          const pick = this.prepare(context, task);
          if (pick.reservedUsd > budgetLeft) {
            budgetBlocked = pick.reservedUsd;
            break;
          }
          budgetLeft -= pick.reservedUsd;
          picked.push(pick);
          runFree -= 1;
        }
        if (budgetBlocked !== null) break;
      }
      if (picked.length === 0 && budgetBlocked !== null && runInFlight === 0) {
        // Nothing in flight can free budget: the run cannot go on.
        const spent = run.costUsd;
        await repo.setRunError(
          runId,
          `${BUDGET_ERROR_PREFIX} spent $${spent.toFixed(6)} of maxCostUsd $${run.maxCostUsd}; the next task could cost up to $${budgetBlocked.toFixed(6)}, so no further call was started.`,
        );
        return { picked: [], counters: await repo.cancelUnheld(runId) };
      }
      if (picked.length === 0) return { picked: [] };
      const taken = await repo.take(
        runId,
        picked.map((p) => ({ id: p.task.id, reservedUsd: p.reservedUsd })),
        this.settings.leaseSeconds,
      );
      const attempts = new Map(taken.map((r) => [r.id, r.attempts]));
      return { picked: picked.map((p) => ({ ...p, attempt: attempts.get(p.task.id)! })) };
    });
    if (claimed.counters) this.countersMoved(claimed.counters);
    for (const pick of claimed.picked) void this.execute(context, pick, pick.attempt);
    return claimed.picked.length;
  }

  private prepare(context: RunContext, task: CandidateTask): Picked {
    try {
      const rendered = context.render(task.promptVersionId, task.input);
      return { task, rendered, renderError: null, reservedUsd: context.worstCostUsd(task.modelId, rendered) };
    } catch (err) {
      return { task, rendered: null, renderError: `the prompt could not be rendered: ${(err as Error).message}`, reservedUsd: 0 };
    }
  }

  /** One call, from its claim to its outcome; never throws. */
  private async execute(context: RunContext, pick: Picked, attempt: number): Promise<void> {
    const { task } = pick;
    const controller = new AbortController();
    const entry: InFlight = { claim: { id: task.id, attempt }, runId: context.runId, controller, reservedUsd: pick.reservedUsd };
    this.inFlight.set(task.id, entry);
    const base = { id: task.id, attempt, reservedUsd: pick.reservedUsd, renderedPrompt: pick.rendered?.prompt ?? null };
    let outcome: TaskOutcome | null;
    try {
      outcome = await this.call(context, pick, attempt, controller.signal, base);
    } catch (err) {
      outcome = this.outcomeOfError(err, controller.signal, base, task.id);
    }
    this.inFlight.delete(task.id);
    // Its slot frees once the outcome is written (the flush wakes the claim loop): until then the
    // database still counts the task in flight, and a claim would find the caps full.
    if (outcome) this.record(context.runId, outcome);
    else this.wakeSlots();
  }

  private async call(context: RunContext, pick: Picked, attempt: number, signal: AbortSignal, base: OutcomeBase): Promise<TaskOutcome> {
    if (pick.renderError !== null) return ended(base, 'FAILED', { error: pick.renderError });
    if (attempt > this.settings.maxTaskAttempts) {
      return ended(base, 'FAILED', { error: `gave up after ${attempt - 1} attempts: each time the worker holding the task stopped or lost it.` });
    }
    const model = context.models.get(pick.task.modelId)!;
    const rendered = pick.rendered!;
    if (model.snapshot.requestsPerMinute !== null) await this.rateLimiter.acquire(model.snapshot.id, model.snapshot.requestsPerMinute, signal);
    let latencyMs = 0;
    const result = await this.policies.forModel(model.snapshot.id).execute(async (attemptSignal) => {
      const started = performance.now();
      try {
        return await model.client.complete({ system: rendered.system, prompt: rendered.prompt, signal: attemptSignal });
      } finally {
        latencyMs = performance.now() - started;
      }
    }, signal);
    return ended(base, 'SUCCEEDED', {
      output: result.output,
      latencyMs,
      promptTokens: result.promptTokens,
      completionTokens: result.completionTokens,
      costUsd: costUsd(model.snapshot, result.promptTokens, result.completionTokens),
    });
  }

  private outcomeOfError(err: unknown, signal: AbortSignal, base: OutcomeBase, taskId: string): TaskOutcome | null {
    const reason = signal.aborted ? signal.reason : null;
    if (reason instanceof StopReason) {
      if (reason.kind === 'lease-lost') return null;
      if (reason.kind === 'stopping') return ended(base, 'RELEASED', {});
      return ended(base, 'CANCELLED', { error: 'the run was cancelled while the call was in flight' });
    }
    if (err instanceof CircuitOpenError) {
      return ended(base, 'QUEUED', { error: null, retryInSeconds: Math.max(1, Math.ceil(err.retryAfterMs / 1000)) });
    }
    if (err instanceof ProviderError) return ended(base, 'FAILED', { error: err.message });
    this.logger.error({ err, taskId }, 'a task failed with an unexpected error');
    return ended(base, 'FAILED', { error: 'the worker failed unexpectedly on this task; its log has the details (search for the task id).' });
  }

  private record(runId: string, outcome: TaskOutcome): void {
    let list = this.pending.get(runId);
    if (!list) this.pending.set(runId, (list = []));
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
      for (const [runId, outcomes] of batch) {
        try {
          const counters = await this.tasks.settle(runId, outcomes);
          if (counters) this.countersMoved(counters);
        } catch (err) {
          // Kept for the next flush: the leases outlive a short outage, and the fence makes a late write safe.
          this.logger.warn({ err, runId, outcomes: outcomes.length }, 'could not write task outcomes; retrying');
          for (const outcome of outcomes) this.record(runId, outcome);
        }
      }
      this.wakeSlots();
    });
    return this.flushing;
  }

  private countersMoved(counters: RunCounters): void {
    this.onCounters(counters);
    if (counters.queuedTasks === 0 && counters.runningTasks === 0) this.pubsub.publish('jobs:run-finish', { runId: counters.runId });
  }

  private wakeSlots(): void {
    const waiters = this.slotWaiters;
    this.slotWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves when a call ends, after `ms`, or when the worker stops. */
  private nextSlot(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.slotWaiters.push(done);
    });
  }

  /** Resolves once `n` slots are free (or the worker stops). */
  private async freeSlots(n: number, signal?: AbortSignal): Promise<void> {
    while (this.settings.capacity - this.inFlight.size < n && !signal?.aborted) await this.nextSlot(RECLAIM_AFTER_MS, signal);
  }
}

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
    retryInSeconds: 0,
    ...values,
  };
}
