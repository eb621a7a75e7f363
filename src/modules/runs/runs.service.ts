import { badInput, conflict, DomainError, ErrorCode, notFound } from '../../common/errors.js';
import type { ModelSnapshot, PromptVersionSnapshot, RunRow } from '../../db/schema.js';
import { CALL_METRICS, checkEvaluatorParams, defaultMetricName, judgeCostMetric, type EvaluatorKind } from '../../evaluators/registry.js';
import type { Db } from '../../storage/postgres.js';
import type { LabPubSub } from '../../storage/pubsub.js';
import type { DatasetsService } from '../datasets/datasets.service.js';
import type { ExperimentsService } from '../experiments/experiments.service.js';
import type { ModelsService } from '../models/models.service.js';
import type { PromptsService } from '../prompts/prompts.service.js';
import type { RunsRepo } from './runs.repo.js';
import { publishRunEvents, runEventStream } from './run-events.js';
import type { RunEventJson, TasksRepo } from './tasks.repo.js';
import { currentTraceParent } from '../../observability/tracing.js';

export interface EvaluatorSpec {
  kind: EvaluatorKind;
  name?: string | null;
  params?: unknown;
  /** LLM_JUDGE: the judge model's row id, decoded from params.modelId by the caller. */
  judgeModelId?: string | null;
}

export interface StartRunSpec {
  experimentId: string;
  datasetVersionId: string;
  promptVersionIds: readonly string[];
  modelIds: readonly string[];
  evaluators: readonly EvaluatorSpec[];
  repetitions?: number | null;
  concurrency?: number | null;
  maxCostUsd?: number | null;
  sampleLimit?: number | null;
}

/** Limits on one run; each refusal says which input to change. */
export const RUN_LIMITS = {
  maxRepetitions: 1_000,
  maxTasks: 1_000_000,
  maxPromptVersions: 50,
  maxModels: 50,
  maxEvaluators: 20,
  maxConcurrency: 10_000,
};

/** The error of a task cancelled before any worker held it (or after its worker died). */
export const CANCELLED_UNCLAIMED = 'the run was cancelled before this task ran';

/** How the error of a run stopped by its budget starts. */
export const BUDGET_ERROR_PREFIX = 'budget exceeded:';

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

function checkInteger(value: number | null | undefined, field: string, min: number, max: number): void {
  if (value === null || value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badInput(`${field}: must be a whole number from ${min} to ${max.toLocaleString('en-US')} (got ${value}).`, field);
  }
}

export class RunsService {
  constructor(
    private readonly db: Db,
    private readonly repo: RunsRepo,
    private readonly tasks: TasksRepo,
    private readonly pubsub: LabPubSub,
    private readonly experiments: ExperimentsService,
    private readonly datasets: DatasetsService,
    private readonly prompts: PromptsService,
    private readonly models: ModelsService,
  ) {}

  /** The run, or NOT_FOUND when it is not in the project. */
  async get(projectId: string, runId: string): Promise<RunRow> {
    const [row] = await this.repo.byIds(projectId, [runId]);
    if (!row) throw notFound('Run', runId);
    return row;
  }

  /**
   * Checks the config, freezes it on a new QUEUED run, and expands rows x prompt versions x models
   * x repetitions into tasks in one transaction of set-based statements; workers take it from there.
   */
  async start(projectId: string, spec: StartRunSpec): Promise<RunRow> {
    const repetitions = spec.repetitions ?? 1;
    checkInteger(repetitions, 'repetitions', 1, RUN_LIMITS.maxRepetitions);
    checkInteger(spec.concurrency, 'concurrency', 1, RUN_LIMITS.maxConcurrency);
    checkInteger(spec.sampleLimit, 'sampleLimit', 1, RUN_LIMITS.maxTasks);
    if (spec.maxCostUsd !== null && spec.maxCostUsd !== undefined && !(Number.isFinite(spec.maxCostUsd) && spec.maxCostUsd > 0)) {
      throw badInput(`maxCostUsd: must be more than 0 (got ${spec.maxCostUsd}); leave it out for no budget.`, 'maxCostUsd');
    }
    const promptVersionIds = [...new Set(spec.promptVersionIds)];
    const modelIds = [...new Set(spec.modelIds)];
    if (promptVersionIds.length === 0) throw badInput('promptVersionIds: give at least one prompt version.', 'promptVersionIds');
    if (modelIds.length === 0) throw badInput('modelIds: give at least one model.', 'modelIds');
    if (promptVersionIds.length > RUN_LIMITS.maxPromptVersions) {
      throw badInput(`promptVersionIds: at most ${RUN_LIMITS.maxPromptVersions} per run (got ${promptVersionIds.length}).`, 'promptVersionIds');
    }
    if (modelIds.length > RUN_LIMITS.maxModels) throw badInput(`modelIds: at most ${RUN_LIMITS.maxModels} per run (got ${modelIds.length}).`, 'modelIds');
    const { evaluators, judges } = await this.checkEvaluators(projectId, spec.evaluators);

    const experiment = await this.experiments.get(projectId, spec.experimentId);
    const version = await this.datasets.version(projectId, spec.datasetVersionId);
    if (version.status !== 'READY') {
      throw badInput(
        `datasetVersionId: the dataset version is ${version.status}; a run needs a READY version${version.status === 'FAILED' ? ' (upload a corrected file as a new version)' : ' (wait for validation to finish)'}.`,
        'datasetVersionId',
      );
    }
    const promptVersions = await this.prompts.versions(projectId, promptVersionIds);
    const missingPrompt = promptVersionIds.find((id) => !promptVersions.some((v) => v.id === id));
    if (missingPrompt) throw notFound('PromptVersion', missingPrompt);
    const models = await this.models.snapshots(projectId, modelIds);
    const missingModel = modelIds.find((id) => !models.some((m) => m.id === id));
    if (missingModel) throw notFound('Model', missingModel);

    const rowCount = Math.min(version.rowCount ?? 0, spec.sampleLimit ?? Number.MAX_SAFE_INTEGER);
    if (rowCount === 0) throw badInput('datasetVersionId: the dataset version has no rows to run.', 'datasetVersionId');
    const perRow = promptVersionIds.length * modelIds.length * repetitions;
    if (rowCount * perRow > RUN_LIMITS.maxTasks) {
      throw badInput(
        `The run would have ${(rowCount * perRow).toLocaleString('en-US')} tasks (${rowCount} rows x ${promptVersionIds.length} prompt versions x ${modelIds.length} models x ${repetitions} repetitions); the most is ${RUN_LIMITS.maxTasks.toLocaleString('en-US')}: lower sampleLimit or repetitions.`,
        'sampleLimit',
      );
    }
    // Read before the transaction: no lock is held while the blob store streams the file.
    const rows: { i: number; input: unknown; expected: unknown }[] = [];
    for await (const row of this.datasets.rows(version, rowCount)) rows.push({ i: row.index, input: row.input, expected: row.expected });

    const snapshot = {
      models: modelIds.map((id) => models.find((m) => m.id === id)!) satisfies ModelSnapshot[],
      promptVersions: promptVersionIds.map((id) => {
        const v = promptVersions.find((p) => p.id === id)!;
        return { id: v.id, system: v.system, template: v.template };
      }) satisfies PromptVersionSnapshot[],
    };
    const run = await this.db.transaction(async (tx) => {
      const repo = this.repo.in(tx);
      const { run: inserted, event } = await repo.insertRun({
        projectId,
        experimentId: experiment.id,
        datasetVersionId: version.id,
        promptVersionIds,
        modelIds,
        evaluators,
        repetitions,
        concurrency: spec.concurrency ?? null,
        maxCostUsd: spec.maxCostUsd ?? null,
        sampleLimit: spec.sampleLimit ?? null,
        totalTasks: rows.length * perRow,
        queuedTasks: rows.length * perRow,
        traceParent: currentTraceParent(),
      });
      await repo.insertSnapshot(inserted.id, snapshot.models, snapshot.promptVersions, judges);
      await repo.insertRows(inserted.id, rows);
      await repo.expandTasks(projectId, inserted.id, rows.length, promptVersionIds, modelIds, repetitions);
      return { run: inserted, event };
    });
    publishRunEvents(this.pubsub, [run.event]);
    this.pubsub.publish('jobs:tasks', { runId: run.run.id });
    return run.run;
  }

  /**
   * Stops the run: no new claims (CANCELLING), unheld tasks CANCELLED at once, workers abort the
   * calls in flight and write them CANCELLED; the finisher then sets CANCELLED. Cancelling a
   * cancelled or cancelling run returns it as it is.
   */
  async cancel(projectId: string, runId: string): Promise<RunRow> {
    const run = await this.get(projectId, runId);
    if (run.status === 'CANCELLING' || run.status === 'CANCELLED') return run;
    if (FINAL.has(run.status)) throw conflict(`The run already ended ${run.status}; there is nothing to cancel.`);
    const cancelling = await this.tasks.markCancelling(projectId, runId);
    if (!cancelling) return this.cancel(projectId, runId);
    publishRunEvents(this.pubsub, [cancelling]);
    publishRunEvents(this.pubsub, (await this.tasks.cancelUnheld(runId, CANCELLED_UNCLAIMED))?.events);
    this.pubsub.publish('runs:cancelled', { runId });
    this.pubsub.publish('jobs:run-finish', { runId });
    return this.get(projectId, runId);
  }

  /** The run's events after `afterSequence`, stored then live, each once (the caller checked the run is the project's). */
  /** Where each task of a run sits, for pairing two runs; the caller has checked the run is the project's. */
  taskPlaces(runId: string) {
    return this.tasks.places(runId);
  }

  events(runId: string, afterSequence: number): AsyncGenerator<RunEventJson> {
    return runEventStream(this.pubsub, (after, limit) => this.tasks.eventsAfter(runId, after, limit), runId, afterSequence);
  }

  /** A new run of the same frozen config over the tasks of an ended run that did not succeed. */
  async retry(projectId: string, runId: string): Promise<RunRow> {
    const original = await this.get(projectId, runId);
    if (!FINAL.has(original.status)) {
      throw conflict(`The run is ${original.status}; retry it once it has ended (or cancel it first).`);
    }
    if (original.succeededTasks === original.totalTasks) throw conflict('Every task of the run succeeded; there is nothing to retry.');
    // The retry spends what is left of the original budget, so retrying cannot raise what a config may cost.
    const budgetLeft = original.maxCostUsd === null ? null : original.maxCostUsd - original.costUsd;
    // A run stopped at its budget stopped because what was left could not pay for its next call; a retry has just that left.
    if (budgetLeft !== null && (budgetLeft <= 0 || original.error?.startsWith(BUDGET_ERROR_PREFIX))) {
      throw budgetExceeded(
        `The run stopped at its budget ($${original.costUsd.toFixed(6)} spent of maxCostUsd $${original.maxCostUsd}); a retry would have only what is left. Start a new run with a larger maxCostUsd instead.`,
      );
    }
    const run = await this.db.transaction(async (tx) => {
      const repo = this.repo.in(tx);
      const unsucceeded = original.totalTasks - original.succeededTasks;
      const { run: inserted, event } = await repo.insertRun({
        projectId,
        experimentId: original.experimentId,
        datasetVersionId: original.datasetVersionId,
        promptVersionIds: original.promptVersionIds,
        modelIds: original.modelIds,
        evaluators: original.evaluators,
        repetitions: original.repetitions,
        concurrency: original.concurrency,
        maxCostUsd: budgetLeft,
        sampleLimit: original.sampleLimit,
        retryOfRunId: original.id,
        totalTasks: unsucceeded,
        queuedTasks: unsucceeded,
        traceParent: currentTraceParent(),
      });
      await repo.copyUnsucceeded(original.id, inserted.id);
      return { run: inserted, event };
    });
    publishRunEvents(this.pubsub, [run.event]);
    this.pubsub.publish('jobs:tasks', { runId: run.run.id });
    return run.run;
  }

  /** The checked evaluators, and the judge model of each LLM_JUDGE by metric name, frozen with the run. */
  private async checkEvaluators(projectId: string, specs: readonly EvaluatorSpec[]): Promise<{ evaluators: RunRow['evaluators']; judges: Record<string, ModelSnapshot> }> {
    if (specs.length > RUN_LIMITS.maxEvaluators) throw badInput(`evaluators: at most ${RUN_LIMITS.maxEvaluators} per run.`, 'evaluators');
    const names = new Set<string>();
    const checked: RunRow['evaluators'] = [];
    const judges: Record<string, ModelSnapshot> = {};
    for (const [i, spec] of specs.entries()) {
      const field = `evaluators[${i}]`;
      const check = checkEvaluatorParams(spec.kind, spec.params);
      if (!check.ok) throw badInput(`${field}.${check.message}`, field);
      const name = spec.name?.trim() || defaultMetricName[spec.kind];
      if (!/^[a-z][a-z0-9_]{0,63}$/.test(name)) {
        throw badInput(`${field}.name: "${name}" is not a metric name; use lower-case letters, digits and _ (e.g. exact_match).`, field);
      }
      if ((CALL_METRICS as readonly string[]).includes(name)) {
        throw badInput(`${field}.name: "${name}" is recorded for every task already (${CALL_METRICS.join(', ')}); give the evaluator another name.`, field);
      }
      const written = spec.kind === 'LLM_JUDGE' ? [name, judgeCostMetric(name)] : [name];
      for (const metric of written) {
        if (names.has(metric)) throw badInput(`${field}.name: two evaluators write the metric "${metric}"; give one another name.`, field);
        names.add(metric);
      }
      if (spec.kind === 'LLM_JUDGE') {
        if (!spec.judgeModelId) throw badInput(`${field}.params.modelId: the id of the judge model is required.`, field);
        const [judge] = await this.models.snapshots(projectId, [spec.judgeModelId]);
        if (!judge) throw notFound('Model', spec.judgeModelId);
        judges[name] = judge;
      }
      checked.push({ kind: spec.kind, name, params: (spec.params ?? {}) as Record<string, unknown> });
    }
    return { evaluators: checked, judges };
  }
}

/** A mutation refused because of the run's budget. */
export const budgetExceeded = (message: string) => new DomainError(ErrorCode.BUDGET_EXCEEDED, message);
