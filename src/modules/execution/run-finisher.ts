import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { toGlobalId } from '../../common/global-id.js';
import type { RunRow } from '../../db/schema.js';
import { holdLease } from '../../workflow/leases.js';
import type { Job } from '../../workflow/worker.js';
import type { ArtifactsService } from '../artifacts/artifacts.service.js';
import type { LabPubSub } from '../../storage/pubsub.js';
import { publishRunEvents } from '../runs/run-events.js';
import { CANCELLED_UNCLAIMED } from '../runs/runs.service.js';
import { runFinishLeases, type TasksRepo } from '../runs/tasks.repo.js';

const FINISH_LEASE_SECONDS = 120;
const LINES_PER_READ = 1_000;

/**
 * Ends runs whose every task has ended: writes results.jsonl (one line per task, in task order)
 * through the blob store, then sets SUCCEEDED, FAILED or CANCELLED. It holds the run under a lease
 * while the file is written, so no row lock spans the blob store, and a finisher that dies is
 * replaced by the next; the final status is written only if the lease still holds.
 */
export class RunFinisher implements Job {
  readonly name = 'run-finisher';
  readonly wakeTopic = 'jobs:run-finish' as const;
  readonly idlePollMs = 2_000;

  constructor(
    private readonly tasks: TasksRepo,
    private readonly artifacts: ArtifactsService,
    private readonly pubsub: LabPubSub,
    private readonly logger: Logger,
  ) {}

  async runOnce(signal?: AbortSignal): Promise<boolean> {
    // Tasks of a cancelled run that a dead worker held are cancelled here once their lease runs out.
    let reaped = 0;
    for (const { id } of await this.tasks.cancellingRuns(16)) {
      const counters = await this.tasks.cancelUnheld(id, CANCELLED_UNCLAIMED);
      publishRunEvents(this.pubsub, counters?.events);
      reaped += counters?.moved ?? 0;
    }
    const [run] = await this.tasks.claimFinishable(1, FINISH_LEASE_SECONDS);
    if (!run) return reaped > 0;
    const claim = runFinishLeases.claimOf(run);
    const held = holdLease(claim, () => this.tasks.renewFinish(claim, FINISH_LEASE_SECONDS), {
      everyMs: (FINISH_LEASE_SECONDS * 1000) / 3,
      parent: signal,
      onRenewError: (err) => this.logger.warn({ err, runId: run.id }, 'could not renew the run finish lease'),
    });
    const dir = await mkdtemp(join(tmpdir(), 'llm-lab-results-'));
    try {
      const file = await this.writeResults(run, join(dir, 'results.jsonl'), held.signal);
      await this.artifacts.storeGenerated(run.projectId, run.id, 'results.jsonl', 'application/x-ndjson', file);
      const { status, error } = await this.finalStatus(run);
      const event = await this.tasks.complete(claim, status, error);
      if (event) {
        publishRunEvents(this.pubsub, [event]);
        this.logger.info({ runId: run.id, status }, 'run finished');
      }
    } catch (err) {
      if (held.signal.aborted) {
        await this.tasks.releaseFinish(claim).catch(() => {});
        return true;
      }
      throw err;
    } finally {
      held.stop();
      await rm(dir, { recursive: true, force: true });
    }
    return true;
  }

  private async finalStatus(run: RunRow): Promise<{ status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED'; error: string | null }> {
    if (run.status === 'CANCELLING') return { status: 'CANCELLED', error: run.error };
    if (run.error !== null) return { status: 'FAILED', error: run.error };
    if (run.succeededTasks === 0 && run.failedTasks > 0) {
      const first = await this.tasks.firstError(run.id);
      return { status: 'FAILED', error: `every task failed; the first error: ${first ?? 'unknown'}` };
    }
    return { status: 'SUCCEEDED', error: null };
  }

  /** results.jsonl in a local file, streamed from PostgreSQL a page at a time, with its size and SHA-256. */
  private async writeResults(run: RunRow, path: string, signal: AbortSignal): Promise<{ path: string; sizeBytes: number; sha256: string }> {
    const snapshot = await this.tasks.snapshot(run.id);
    const modelNames = new Map(snapshot?.models.map((m) => [m.id, m.name]));
    const out = createWriteStream(path);
    const hash = createHash('sha256');
    try {
      let afterSeq = -1;
      for (;;) {
        signal.throwIfAborted();
        const page = await this.tasks.resultsPage(run.id, afterSeq, LINES_PER_READ);
        if (page.length === 0) break;
        let chunk = '';
        for (const t of page) {
          chunk += `${JSON.stringify({
            taskId: toGlobalId('Task', t.id),
            runId: toGlobalId('Run', run.id),
            rowIndex: t.rowIndex,
            repetition: t.repetition,
            modelId: toGlobalId('Model', t.modelId),
            model: modelNames.get(t.modelId) ?? null,
            promptVersionId: toGlobalId('PromptVersion', t.promptVersionId),
            status: t.status,
            attempts: t.attempts,
            input: t.input,
            expected: t.expected,
            renderedPrompt: t.renderedPrompt,
            output: t.output,
            error: t.error,
            latencyMs: t.latencyMs,
            usage: t.promptTokens === null ? null : { promptTokens: t.promptTokens, completionTokens: t.completionTokens, costUsd: t.costUsd },
            metrics: t.metrics ?? {},
          })}\n`;
        }
        hash.update(chunk);
        if (!out.write(chunk)) await once(out, 'drain');
        afterSeq = page[page.length - 1]!.seq;
      }
    } finally {
      out.end();
      await once(out, 'close');
    }
    return { path, sizeBytes: (await stat(path)).size, sha256: hash.digest('hex') };
  }
}


