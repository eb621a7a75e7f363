// Every table of the lab, in one file because drizzle-kit generates migrations from it
// and foreign keys cross modules. Each row that a client can reach carries project_id,
// so every read can be scoped to the caller's project in SQL.
import { sql } from 'drizzle-orm';
import { ROLE_NAMES } from './roles.js';
import {
  bigint,
    doublePrecision,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  primaryKey,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const id = () => uuid('id').primaryKey().defaultRandom();
// Millisecond precision: keyset cursors carry timestamps through JavaScript Dates, which have no microseconds.
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 });
const createdAt = () => ts('created_at').notNull().defaultNow();

export const roleEnum = pgEnum('role', ROLE_NAMES);
export const providerKindEnum = pgEnum('provider_kind', ['OPENAI', 'ANTHROPIC', 'OPENAI_COMPATIBLE', 'ECHO']);
export const runStatusEnum = pgEnum('run_status', ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLING', 'CANCELLED']);
export const taskStatusEnum = pgEnum('task_status', ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']);
export const datasetFormatEnum = pgEnum('dataset_format', ['JSONL', 'CSV']);
export const datasetVersionStatusEnum = pgEnum('dataset_version_status', [
  'AWAITING_UPLOAD',
  'VALIDATING',
  'READY',
  'FAILED',
]);
export const artifactStatusEnum = pgEnum('artifact_status', ['AWAITING_UPLOAD', 'READY']);

export const projects = pgTable('projects', {
  id: id(),
  name: text('name').notNull(),
  createdAt: createdAt(),
});

export const apiKeys = pgTable(
  'api_keys',
  {
    id: id(),
    projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    role: roleEnum('role').notNull(),
    prefix: text('prefix').notNull(),
    /** SHA-256 of the whole key: keys are 256 random bits, so a slow hash adds nothing. */
    keyHash: text('key_hash').notNull(),
    createdAt: createdAt(),
    lastUsedAt: ts('last_used_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('api_keys_key_hash_idx').on(t.keyHash), index('api_keys_project_idx').on(t.projectId, t.createdAt)],
);

export const models = pgTable(
  'models',
  {
    id: id(),
    projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    provider: providerKindEnum('provider').notNull(),
    modelName: text('model_name').notNull(),
    baseUrl: text('base_url'),
    /** AES-256-GCM with LAB_SECRET_KEY; never returned by the API. */
    apiKeyCiphertext: text('api_key_ciphertext'),
    parameters: jsonb('parameters').$type<Record<string, unknown>>().notNull().default({}),
    inputCostPerMTok: doublePrecision('input_cost_per_mtok'),
    outputCostPerMTok: doublePrecision('output_cost_per_mtok'),
    maxConcurrency: integer('max_concurrency').notNull().default(4),
    requestsPerMinute: integer('requests_per_minute'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('models_project_name_idx').on(t.projectId, t.name), index('models_page_idx').on(t.projectId, t.createdAt, t.id)],
);

export const prompts = pgTable(
  'prompts',
  {
    id: id(),
    projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('prompts_project_name_idx').on(t.projectId, t.name), index('prompts_page_idx').on(t.projectId, t.createdAt, t.id)],
);

export const promptVersions = pgTable(
  'prompt_versions',
  {
    id: id(),
    projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
    promptId: uuid('prompt_id').notNull().references(() => prompts.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    system: text('system'),
    template: text('template').notNull(),
    variables: text('variables').array().notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('prompt_versions_prompt_version_idx').on(t.promptId, t.version)],
);

export const experiments = pgTable(
  'experiments',
  {
    id: id(),
    projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    hypothesis: text('hypothesis'),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    archivedAt: ts('archived_at'),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('experiments_page_idx').on(t.projectId, t.createdAt, t.id),
    index('experiments_tags_idx').using('gin', t.tags),
  ],
);

export const datasets = pgTable(
  'datasets',
  {
    id: id(),
    projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('datasets_project_name_idx').on(t.projectId, t.name), index('datasets_page_idx').on(t.projectId, t.createdAt, t.id)],
);

export const datasetVersions = pgTable(
  'dataset_versions',
  {
    id: id(),
    projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
    datasetId: uuid('dataset_id').notNull().references(() => datasets.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    status: datasetVersionStatusEnum('status').notNull(),
    format: datasetFormatEnum('format').notNull(),
    blobKey: text('blob_key').notNull(),
    /** Set while a multipart upload is open. */
    uploadId: text('upload_id'),
    partSizeBytes: bigint('part_size_bytes', { mode: 'number' }),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    declaredSha256: text('declared_sha256'),
    sha256: text('sha256'),
    rowCount: integer('row_count'),
    columns: text('columns').array().notNull().default(sql`'{}'::text[]`),
    errors: jsonb('errors').$type<{ line: number; message: string }[]>().notNull().default([]),
    createdAt: createdAt(),
    validatedAt: ts('validated_at'),
    /** A worker validating this version holds it until then; an expired lease is taken over. */
    leaseUntil: ts('lease_until'),
    validationAttempts: integer('validation_attempts').notNull().default(0),
  },
  (t) => [
    uniqueIndex('dataset_versions_dataset_version_idx').on(t.datasetId, t.version),
    index('dataset_versions_validating_idx').on(t.leaseUntil).where(sql`${t.status} = 'VALIDATING'`),
  ],
);

export const runs = pgTable(
  'runs',
  {
    id: id(),
    projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
    experimentId: uuid('experiment_id').notNull().references(() => experiments.id, { onDelete: 'cascade' }),
    status: runStatusEnum('status').notNull().default('QUEUED'),
    datasetVersionId: uuid('dataset_version_id').references(() => datasetVersions.id),
    promptVersionIds: uuid('prompt_version_ids').array().notNull(),
    modelIds: uuid('model_ids').array().notNull(),
    evaluators: jsonb('evaluators').$type<{ kind: string; name: string; params: Record<string, unknown> }[]>().notNull().default([]),
    repetitions: integer('repetitions').notNull().default(1),
    /** Most tasks of the run in flight at once across all workers; null means no cap but the models' own. */
    concurrency: integer('concurrency'),
    maxCostUsd: doublePrecision('max_cost_usd'),
    sampleLimit: integer('sample_limit'),
    /** The run whose unsucceeded tasks this one re-runs (retryRun). */
    retryOfRunId: uuid('retry_of_run_id'),
    /** The W3C traceparent of the request that started it, when tracing: workers link its tasks' spans to it. */
    traceParent: text('trace_parent'),
    error: text('error'),
    // Task counters and usage, moved by the same statements that move the tasks (exactly once: see tasks.repo.ts).
    totalTasks: integer('total_tasks').notNull().default(0),
    queuedTasks: integer('queued_tasks').notNull().default(0),
    runningTasks: integer('running_tasks').notNull().default(0),
    succeededTasks: integer('succeeded_tasks').notNull().default(0),
    failedTasks: integer('failed_tasks').notNull().default(0),
    cancelledTasks: integer('cancelled_tasks').notNull().default(0),
    promptTokens: bigint('prompt_tokens', { mode: 'number' }).notNull().default(0),
    completionTokens: bigint('completion_tokens', { mode: 'number' }).notNull().default(0),
    costUsd: doublePrecision('cost_usd').notNull().default(0),
    /** Worst-case cost of the calls in flight, held against maxCostUsd until each call settles. */
    reservedUsd: doublePrecision('reserved_usd').notNull().default(0),
    /** The sequence number of the run's last event (run_events); events are numbered from 1 without gaps. */
    lastSequence: integer('last_sequence').notNull().default(0),
    /** The finisher (results.jsonl, final status) holds the run under this lease. */
    leaseUntil: ts('lease_until'),
    finishAttempts: integer('finish_attempts').notNull().default(0),
    createdAt: createdAt(),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
  },
  (t) => [
    index('runs_experiment_idx').on(t.experimentId, t.createdAt, t.id),
    index('runs_active_idx').on(t.createdAt).where(sql`${t.status} in ('QUEUED', 'RUNNING', 'CANCELLING')`),
  ],
);

/**
 * Every state change of a run and its tasks, numbered per run without gaps in the statement that
 * made the change; what runProgress replays before it goes live. The payload is the task as it
 * became (or the run's new status) and the run's progress after the write.
 */
export const runEvents = pgTable(
  'run_events',
  {
    runId: uuid('run_id').notNull().references(() => runs.id, { onDelete: 'cascade' }),
    sequence: integer('sequence').notNull(),
    /** The task as it became; null for a run status change. */
    task: jsonb('task').$type<Record<string, unknown>>(),
    /** The run's new status; null for a task change. */
    status: runStatusEnum('status'),
    error: text('error'),
    progress: jsonb('progress').$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.sequence] })],
);

/** What a run was started with, frozen: later edits to a model or prompt do not change a started run. */
export const runSnapshots = pgTable('run_snapshots', {
  runId: uuid('run_id').primaryKey().references(() => runs.id, { onDelete: 'cascade' }),
  models: jsonb('models').$type<ModelSnapshot[]>().notNull(),
  promptVersions: jsonb('prompt_versions').$type<PromptVersionSnapshot[]>().notNull(),
  /** The judge model of each LLM_JUDGE evaluator, by metric name (not among the run's models: no tasks of their own). */
  judges: jsonb('judges').$type<Record<string, ModelSnapshot>>().notNull().default({}),
});

/** The dataset rows a run uses (its first sampleLimit rows), copied in at startRun so workers never read the file. */
export const runRows = pgTable(
  'run_rows',
  {
    runId: uuid('run_id').notNull().references(() => runs.id, { onDelete: 'cascade' }),
    rowIndex: integer('row_index').notNull(),
    input: jsonb('input').$type<Record<string, unknown>>().notNull(),
    expected: jsonb('expected'),
  },
  (t) => [primaryKey({ columns: [t.runId, t.rowIndex] })],
);

/** One element of rows x prompt versions x models x repetitions; also the durable work queue (leased by workers). */
export const tasks = pgTable(
  'tasks',
  {
    id: id(),
    projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
    runId: uuid('run_id').notNull().references(() => runs.id, { onDelete: 'cascade' }),
    /** Position in the run (row-major: row, prompt version, model, repetition); the order tasks are claimed and listed in. */
    seq: integer('seq').notNull(),
    rowIndex: integer('row_index').notNull(),
    repetition: integer('repetition').notNull(),
    promptVersionId: uuid('prompt_version_id').notNull(),
    modelId: uuid('model_id').notNull(),
    status: taskStatusEnum('status').notNull().default('QUEUED'),
    /** Claims so far; the fencing token of the current one. */
    attempts: integer('attempts').notNull().default(0),
    leaseUntil: ts('lease_until'),
    renderedPrompt: text('rendered_prompt'),
    output: text('output'),
    error: text('error'),
    latencyMs: doublePrecision('latency_ms'),
    promptTokens: integer('prompt_tokens'),
    completionTokens: integer('completion_tokens'),
    costUsd: doublePrecision('cost_usd'),
    /** What the evaluators and the call measured, by metric name (SUCCEEDED tasks); the same values go to the metric store. */
    metrics: jsonb('metrics').$type<Record<string, number>>(),
    /** Worst-case cost reserved against the run's budget while the call is in flight. */
    reservedUsd: doublePrecision('reserved_usd').notNull().default(0),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
  },
  (t) => [
    uniqueIndex('tasks_run_seq_idx').on(t.runId, t.seq),
    // Claims read only unfinished tasks; the index shrinks as a run ends.
    index('tasks_claimable_idx').on(t.runId, t.modelId, t.seq).where(sql`${t.status} in ('QUEUED', 'RUNNING')`),
    // In-flight counts for the concurrency caps: per model, and per run among the run's models' rows.
    index('tasks_running_model_idx').on(t.modelId).where(sql`${t.status} = 'RUNNING'`),
  ],
);

export const artifacts = pgTable(
  'artifacts',
  {
    id: id(),
    projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
    runId: uuid('run_id').references(() => runs.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    contentType: text('content_type').notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    sha256: text('sha256'),
    blobKey: text('blob_key').notNull(),
    status: artifactStatusEnum('status').notNull().default('AWAITING_UPLOAD'),
    createdAt: createdAt(),
  },
  (t) => [index('artifacts_run_idx').on(t.runId, t.createdAt), uniqueIndex('artifacts_run_name_idx').on(t.runId, t.name)],
);

/**
 * Every mutation attempt, whatever its outcome (src/modules/audit). Only ids are kept from the
 * arguments, never their values, so no secret reaches it.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: id(),
    projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
    /** Null when the caller was not an API key (a token's subject), or the key was deleted. */
    actorApiKeyId: uuid('actor_api_key_id').references(() => apiKeys.id, { onDelete: 'set null' }),
    actorName: text('actor_name').notNull(),
    action: text('action').notNull(),
    targetIds: text('target_ids').array().notNull(),
    outcome: text('outcome').notNull(),
    requestId: text('request_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('audit_events_project_idx').on(t.projectId, t.createdAt, t.id),
    index('audit_events_actor_idx').on(t.projectId, t.actorApiKeyId, t.createdAt, t.id),
  ],
);

/** A model as a run froze it; the API key stays sealed until a worker calls the provider. */
export interface ModelSnapshot {
  id: string;
  name: string;
  provider: (typeof providerKindEnum.enumValues)[number];
  modelName: string;
  baseUrl: string | null;
  apiKeyCiphertext: string | null;
  parameters: Record<string, unknown>;
  inputCostPerMTok: number | null;
  outputCostPerMTok: number | null;
  maxConcurrency: number;
  requestsPerMinute: number | null;
}

export interface PromptVersionSnapshot {
  id: string;
  system: string | null;
  template: string;
}

export type ProjectRow = typeof projects.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type ModelRow = typeof models.$inferSelect;
export type PromptRow = typeof prompts.$inferSelect;
export type PromptVersionRow = typeof promptVersions.$inferSelect;
export type ExperimentRow = typeof experiments.$inferSelect;
export type RunRow = typeof runs.$inferSelect;
export type DatasetRow = typeof datasets.$inferSelect;
export type DatasetVersionRow = typeof datasetVersions.$inferSelect;
export type TaskRow = typeof tasks.$inferSelect;
export type RunEventRow = typeof runEvents.$inferSelect;
export type TaskStatus = (typeof taskStatusEnum.enumValues)[number];
export type ArtifactRow = typeof artifacts.$inferSelect;
export type AuditEventRow = typeof auditEvents.$inferSelect;

/**
 * Metric points when no ClickHouse is configured (the embedded default): one per (run, metric,
 * task), the later `time_ms` replacing an earlier one, as ClickHouse's ReplacingMergeTree does.
 * No foreign keys: like ClickHouse's table, it is written in batches apart from the tasks.
 */
export const metricPoints = pgTable(
  'metric_points',
  {
    projectId: uuid('project_id').notNull(),
    experimentId: uuid('experiment_id').notNull(),
    runId: uuid('run_id').notNull(),
    taskId: uuid('task_id').notNull(),
    modelId: uuid('model_id').notNull(),
    promptVersionId: uuid('prompt_version_id').notNull(),
    rowIndex: integer('row_index').notNull(),
    repetition: integer('repetition').notNull(),
    name: text('name').notNull(),
    value: doublePrecision('value').notNull(),
    timeMs: bigint('time_ms', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.name, t.taskId] })],
);
