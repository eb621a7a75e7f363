// Every table of the lab, in one file because drizzle-kit generates migrations from it
// and foreign keys cross modules. Each row that a client can reach carries project_id,
// so every read can be scoped to the caller's project in SQL.
import { sql } from 'drizzle-orm';
import {
  bigint,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const id = () => uuid('id').primaryKey().defaultRandom();
// Millisecond precision: keyset cursors carry timestamps through JavaScript Dates, which have no microseconds.
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 });
const createdAt = () => ts('created_at').notNull().defaultNow();

export const roleEnum = pgEnum('role', ['VIEWER', 'RESEARCHER', 'ADMIN']);
export const providerKindEnum = pgEnum('provider_kind', ['OPENAI', 'ANTHROPIC', 'OPENAI_COMPATIBLE', 'ECHO']);
export const runStatusEnum = pgEnum('run_status', ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLING', 'CANCELLED']);
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
    error: text('error'),
    createdAt: createdAt(),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
  },
  (t) => [index('runs_experiment_idx').on(t.experimentId, t.createdAt, t.id)],
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

export type ProjectRow = typeof projects.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type ModelRow = typeof models.$inferSelect;
export type PromptRow = typeof prompts.$inferSelect;
export type PromptVersionRow = typeof promptVersions.$inferSelect;
export type ExperimentRow = typeof experiments.$inferSelect;
export type RunRow = typeof runs.$inferSelect;
export type DatasetRow = typeof datasets.$inferSelect;
export type DatasetVersionRow = typeof datasetVersions.$inferSelect;
export type ArtifactRow = typeof artifacts.$inferSelect;
