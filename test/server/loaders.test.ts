import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId, type NodeType } from '../../src/common/global-id.js';
import type { RunsPageArgs } from '../../src/modules/runs/runs.repo.js';
import { RUN_LIST_COLUMNS, RunStatus, TaskStatus } from '../../src/modules/runs/runs.types.js';
import type { TaskPageArgs } from '../../src/modules/runs/tasks.repo.js';
import type { Loaders } from '../../src/app/modules.js';
import { ArtifactsRepo } from '../../src/modules/artifacts/artifacts.repo.js';
import { AuditRepo } from '../../src/modules/audit/audit.repo.js';
import { AuthRepo } from '../../src/modules/auth/auth.repo.js';
import { DatasetsRepo } from '../../src/modules/datasets/datasets.repo.js';
import { ExperimentsRepo } from '../../src/modules/experiments/experiments.repo.js';
import { ModelsRepo } from '../../src/modules/models/models.repo.js';
import { ProjectsRepo } from '../../src/modules/projects/projects.repo.js';
import { PromptsRepo } from '../../src/modules/prompts/prompts.repo.js';
import { RunsRepo } from '../../src/modules/runs/runs.repo.js';
import { TasksRepo } from '../../src/modules/runs/tasks.repo.js';
import type { Db } from '../../src/storage/postgres.js';
import { rowId, startTestLab, type TestLab, type TestProject } from '../helpers/lab.js';
import { CreateExperiment, CreateModel, CreatePrompt, CreatePromptVersion, ExperimentsWithRuns } from '../helpers/operations.js';

let lab: TestLab;
let project: TestProject;

beforeAll(async () => {
  lab = await startTestLab();
  project = await lab.newProject('ADMIN');
  const models: string[] = [];
  for (const name of ['m1', 'm2']) {
    models.push(rowId((await project.client.request(CreateModel, { input: { name, provider: 'ECHO', modelName: name } })).createModel.id));
  }
  const versions: string[] = [];
  for (const name of ['p1', 'p2']) {
    const prompt = (await project.client.request(CreatePrompt, { input: { name, template: '{{x}}' } })).createPrompt;
    versions.push(rowId(prompt.latestVersion.id));
    versions.push(rowId((await project.client.request(CreatePromptVersion, { input: { promptId: prompt.id, template: '{{y}}' } })).createPromptVersion.id));
  }
  // 120 experiments, each but every fifth with 3 runs (runs are seeded in SQL: startRun arrives with the run engine).
  const experiments: string[] = [];
  for (let i = 0; i < 120; i++) {
    experiments.push(rowId((await project.client.request(CreateExperiment, { input: { name: `exp ${i}` } })).createExperiment.id));
  }
  const runRows = experiments.flatMap((experimentId, i) =>
    i % 5 === 0
      ? []
      : [0, 1, 2].map((r) => ({
          project_id: project.projectId,
          experiment_id: experimentId,
          status: r === 2 ? 'RUNNING' : 'SUCCEEDED',
          prompt_version_ids: [versions[(i + r) % 4]!, versions[(i + r + 1) % 4]!],
          model_ids: [models[r % 2]!],
          created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i, r)).toISOString(),
        })),
  );
  await lab.database.sql`insert into runs ${lab.database.sql(runRows)}`;
});
afterAll(() => lab.close());

async function statementsFor(first: number) {
  const before = lab.statements();
  const { experiments } = await project.client.request(ExperimentsWithRuns, { first });
  return { statements: lab.statements() - before, experiments };
}

describe('DataLoader batching', () => {
  it('answers a page of 20 and of 100 experiments with nested runs, models and prompts in the same number of statements', async () => {
    await statementsFor(1); // warm-up: the first request of a key may also record lastUsedAt
    const small = await statementsFor(20);
    const large = await statementsFor(100);
    expect(small.experiments.nodes).toHaveLength(20);
    expect(large.experiments.nodes).toHaveLength(100);
    expect(large.statements).toBe(small.statements);
    // The key; the page of experiments and their count; run counts and pages of runs (latest runs
    // among them, experiments primed by the page); models; prompt versions with their prompts.
    expect(large.statements).toBe(7);

    const withRuns = large.experiments.nodes.filter((e) => e.runCount > 0);
    expect(withRuns).toHaveLength(80);
    for (const e of withRuns) {
      expect(e.runCount).toBe(3);
      expect(e.runs.totalCount).toBe(3);
      expect(e.runs.nodes).toHaveLength(2);
      expect(e.runs.pageInfo.hasNextPage).toBe(true);
      expect(e.latestRun?.status).toBe('RUNNING');
      expect(e.latestRun?.id).toBe(e.runs.nodes[0]!.id);
      expect(e.latestRun?.experiment.id).toBe(e.id);
      expect(e.latestRun?.promptVersions).toHaveLength(2);
      expect(e.latestRun?.promptVersions[0]!.prompt.name).toMatch(/^p[12]$/);
      expect(e.latestRun?.models).toHaveLength(1);
    }
    expect(large.experiments.nodes.filter((e) => e.runCount === 0).every((e) => e.latestRun === null && e.runs.nodes.length === 0)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Every loader of createLoaders against an unbatched query of its own: the repo's byIds with one
// id, or plain SQL scoped to the project. Keys come shuffled, with duplicates, a uuid that names
// nothing and a key of another project (a real row there, so only the project filter keeps it out).

const MISSING = '00000000-0000-4000-8000-000000000000';

/** The repos the loaders read through, for the unbatched reads the loaders are checked against. */
const createRepos = (db: Db) => ({
  projects: new ProjectsRepo(db),
  auth: new AuthRepo(db),
  audit: new AuditRepo(db),
  experiments: new ExperimentsRepo(db),
  models: new ModelsRepo(db),
  prompts: new PromptsRepo(db),
  runs: new RunsRepo(db),
  datasets: new DatasetsRepo(db),
  artifacts: new ArtifactsRepo(db),
  tasks: new TasksRepo(db),
});
type Repos = ReturnType<typeof createRepos>;
const createLoaders = (_repos: Repos, projectId: string): Loaders => lab.core.createLoaders(projectId);

interface ByIdSpec {
  type: NodeType;
  table: string;
  /** The column naming the owning project: project_id, or id for the projects table itself. */
  owner: 'project_id' | 'id';
  load: (loaders: Loaders, ids: string[]) => Promise<unknown[]>;
  /** The unbatched read of one id. */
  one: (repos: Repos, projectId: string, id: string) => Promise<unknown[]>;
}

const BY_ID = {
  projectById: {
    type: 'Project',
    table: 'projects',
    owner: 'id',
    load: (l, ids) => l.projectById.loadMany(ids),
    one: (r, _projectId, id) => r.projects.byIds([id]),
  },
  apiKeyById: {
    type: 'ApiKey',
    table: 'api_keys',
    owner: 'project_id',
    load: (l, ids) => l.apiKeyById.loadMany(ids),
    one: (r, projectId, id) => r.auth.byIds(projectId, [id]),
  },
  auditEventById: {
    type: 'AuditEvent',
    table: 'audit_events',
    owner: 'project_id',
    load: (l, ids) => l.auditEventById.loadMany(ids),
    one: (r, projectId, id) => r.audit.byIds(projectId, [id]),
  },
  experimentById: {
    type: 'Experiment',
    table: 'experiments',
    owner: 'project_id',
    load: (l, ids) => l.experimentById.loadMany(ids),
    one: (r, projectId, id) => r.experiments.byIds(projectId, [id]),
  },
  modelById: {
    type: 'Model',
    table: 'models',
    owner: 'project_id',
    load: (l, ids) => l.modelById.loadMany(ids),
    one: (r, projectId, id) => r.models.byIds(projectId, [id]),
  },
  promptById: {
    type: 'Prompt',
    table: 'prompts',
    owner: 'project_id',
    load: (l, ids) => l.promptById.loadMany(ids),
    one: (r, projectId, id) => r.prompts.byIds(projectId, [id]),
  },
  promptVersionById: {
    type: 'PromptVersion',
    table: 'prompt_versions',
    owner: 'project_id',
    load: (l, ids) => l.promptVersionById.loadMany(ids),
    one: (r, projectId, id) => r.prompts.versionsByIds(projectId, [id]),
  },
  runById: {
    type: 'Run',
    table: 'runs',
    owner: 'project_id',
    load: (l, ids) => l.runById.loadMany(ids),
    one: (r, projectId, id) => r.runs.byIds(projectId, [id]),
  },
  datasetById: {
    type: 'Dataset',
    table: 'datasets',
    owner: 'project_id',
    load: (l, ids) => l.datasetById.loadMany(ids),
    one: (r, projectId, id) => r.datasets.byIds(projectId, [id]),
  },
  datasetVersionById: {
    type: 'DatasetVersion',
    table: 'dataset_versions',
    owner: 'project_id',
    load: (l, ids) => l.datasetVersionById.loadMany(ids),
    one: (r, projectId, id) => r.datasets.versionsByIds(projectId, [id]),
  },
  artifactById: {
    type: 'Artifact',
    table: 'artifacts',
    owner: 'project_id',
    load: (l, ids) => l.artifactById.loadMany(ids),
    one: (r, projectId, id) => r.artifacts.byIds(projectId, [id]),
  },
  taskById: {
    type: 'Task',
    table: 'tasks',
    owner: 'project_id',
    load: (l, ids) => l.taskById.loadMany(ids),
    one: (r, projectId, id) => r.tasks.byIds(projectId, [id]),
  },
} satisfies Partial<Record<keyof Loaders, ByIdSpec>>;
type ByIdName = keyof typeof BY_ID;

/** The loaders answering for a parent: each has its own test below. */
const PARENT_LOADERS = [
  'versionsByPrompt',
  'versionCountByPrompt',
  'runsByExperiment',
  'runCountByExperiment',
  'versionsByDataset',
  'versionCountByDataset',
  'artifactsByRun',
  'tasksByRun',
  'runRow',
  'metricSummariesByRun',
  'metricSeriesByRun',
] as const satisfies readonly (keyof Loaders)[];

/** A fixed shuffle (mulberry32), so a failure reproduces. */
function shuffled<T>(items: T[], seed = 20260101): T[] {
  let a = seed;
  const random = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Mine shuffled with duplicates, the missing uuid, and the foreign key (twice). */
const mixedKeys = (mine: string[], foreign: string) => shuffled([...mine, ...mine.slice(0, 2), MISSING, foreign, foreign]);

/** `row` with only `keys`, in their order. */
const pick = <T extends object, K extends keyof T>(row: T, keys: readonly K[]) => Object.fromEntries(keys.map((key) => [key, row[key]])) as Pick<T, K>;

function ok<T>(value: T | Error): T {
  if (value instanceof Error) throw value;
  return value;
}

describe('each loader answers like an unbatched query, in key order, with an Error for a missing or foreign key', () => {
  let other: TestProject;
  let repos: Repos;
  const mine = {} as Record<ByIdName, string[]>;
  const theirs = {} as Record<ByIdName, string>;
  const parents = {} as Record<'prompts' | 'experiments' | 'datasets' | 'runs', { mine: string[]; theirs: string }>;
  const ids = async (query: Promise<{ id: string }[]>) => (await query).map((r) => r.id);

  beforeAll(async () => {
    const sql = lab.database.sql;
    const insert = async (table: string, row: Record<string, string | number | string[] | null>) =>
      (await sql<{ id: string }[]>`insert into ${sql(table)} ${sql(row)} returning id`)[0]!.id;
    repos = createRepos(lab.database.db);
    other = await lab.newProject('ADMIN');
    const me = project.projectId;
    const they = other.projectId;

    // Mine: two more prompts (one with four versions, one with one), a third model, a second key.
    const p3 = (await project.client.request(CreatePrompt, { input: { name: 'p3', template: '{{a}}' } })).createPrompt.id;
    for (const template of ['{{b}}', '{{c}}', '{{d}}']) await project.client.request(CreatePromptVersion, { input: { promptId: p3, template } });
    await project.client.request(CreatePrompt, { input: { name: 'p4', template: '{{a}}' } });
    await project.client.request(CreateModel, { input: { name: 'm3', provider: 'ECHO', modelName: 'm3' } });
    await project.keyWithRole('VIEWER');

    // An experiment whose three runs share one created_at (ties go by id), older than the 120 so
    // the first page of the statement-count test never shows it.
    const tied = await insert('experiments', {
      project_id: me,
      name: 'tied',
      created_at: '2000-01-01T00:00:00.000Z',
      updated_at: '2000-01-01T00:00:00.000Z',
    });
    for (const status of ['QUEUED', 'FAILED', 'RUNNING']) {
      await insert('runs', { project_id: me, experiment_id: tied, status, prompt_version_ids: [], model_ids: [], created_at: '2000-01-01T00:00:01.000Z' });
    }

    // Datasets: versions READY/FAILED/AWAITING_UPLOAD; two READY; none; only AWAITING_UPLOAD.
    const version = (projectId: string, datasetId: string, n: number, status: string) =>
      insert('dataset_versions', {
        project_id: projectId,
        dataset_id: datasetId,
        version: n,
        status,
        format: 'JSONL',
        blob_key: `test/${datasetId}/v${n}.jsonl`,
        size_bytes: 10 * n,
        created_at: new Date(Date.UTC(2026, 1, 1, 0, 0, n)).toISOString(),
      });
    const datasets: string[] = [];
    for (const [name, statuses] of [
      ['mixed', ['READY', 'FAILED', 'AWAITING_UPLOAD']],
      ['two ready', ['READY', 'READY']],
      ['empty', []],
      ['awaiting', ['AWAITING_UPLOAD']],
    ] as const) {
      const datasetId = await insert('datasets', { project_id: me, name });
      for (const [i, status] of statuses.entries()) await version(me, datasetId, i + 1, status);
      datasets.push(datasetId);
    }

    // Artifacts: run 1 has three READY (two created at the same instant: then by name) and one
    // still uploading; run 2 only one uploading; run 3 none.
    const myRuns = await ids(sql`select id from runs where project_id = ${me} order by created_at desc limit 3`);
    const artifact = (projectId: string, runId: string, name: string, status: string, at: string) =>
      insert('artifacts', { project_id: projectId, run_id: runId, name, content_type: 'text/plain', size_bytes: 1, blob_key: `test/${runId}/${name}`, status, created_at: at });
    await artifact(me, myRuns[0]!, 'c.txt', 'READY', '2026-02-01T00:00:00.000Z');
    await artifact(me, myRuns[0]!, 'b.txt', 'READY', '2026-02-01T00:00:01.000Z');
    await artifact(me, myRuns[0]!, 'a.txt', 'READY', '2026-02-01T00:00:01.000Z');
    await artifact(me, myRuns[0]!, 'pending.bin', 'AWAITING_UPLOAD', '2026-02-01T00:00:02.000Z');
    await artifact(me, myRuns[1]!, 'pending.bin', 'AWAITING_UPLOAD', '2026-02-01T00:00:00.000Z');

    // Tasks: run 1 has six, inserted out of seq order (so only ORDER BY seq lists them right) with
    // mixed statuses; run 2 two; run 3 none. Dataset rows: run 1 three, run 2 one, run 3 none.
    const task = (projectId: string, runId: string, seq: number, status: string, modelId: string, promptVersionId: string) =>
      insert('tasks', { project_id: projectId, run_id: runId, seq, row_index: (seq - 1) % 3, repetition: 0, prompt_version_id: promptVersionId, model_id: modelId, status });
    const runRow = async (runId: string, rowIndex: number, input: unknown, expected: unknown) => {
      // Text cast to jsonb: a parameter typed jsonb would be JSON-encoded a second time by postgres.js.
      await sql`insert into run_rows (run_id, row_index, input, expected)
        values (${runId}, ${rowIndex}, ${JSON.stringify(input)}::text::jsonb, ${expected === null ? null : JSON.stringify(expected)}::text::jsonb)`;
    };
    const [myModel] = await ids(sql`select id from models where project_id = ${me} order by name limit 1`);
    const [myVersion] = await ids(sql`select id from prompt_versions where project_id = ${me} order by created_at limit 1`);
    for (const [seq, status] of [[3, 'FAILED'], [1, 'SUCCEEDED'], [5, 'QUEUED'], [2, 'QUEUED'], [6, 'SUCCEEDED'], [4, 'RUNNING']] as const) {
      await task(me, myRuns[0]!, seq, status, myModel!, myVersion!);
    }
    await task(me, myRuns[1]!, 2, 'QUEUED', myModel!, myVersion!);
    await task(me, myRuns[1]!, 1, 'FAILED', myModel!, myVersion!);
    await runRow(myRuns[0]!, 0, { x: 'zero' }, 'a');
    await runRow(myRuns[0]!, 1, { x: 'one', n: [1, 2] }, null);
    await runRow(myRuns[0]!, 2, { x: 'two' }, { score: 2 });
    await runRow(myRuns[1]!, 0, { x: 'other run' }, 'b');

    // Theirs: one of each, with children, so a loader without its project filter would answer them.
    const theirExperiment = rowId((await other.client.request(CreateExperiment, { input: { name: 'their exp' } })).createExperiment.id);
    const theirPrompt = (await other.client.request(CreatePrompt, { input: { name: 'their prompt', template: '{{x}}' } })).createPrompt;
    await other.client.request(CreatePromptVersion, { input: { promptId: theirPrompt.id, template: '{{y}}' } });
    const theirModel = rowId((await other.client.request(CreateModel, { input: { name: 'their model', provider: 'ECHO', modelName: 'e' } })).createModel.id);
    const theirRuns: string[] = [];
    for (const [i, status] of ['SUCCEEDED', 'RUNNING', 'QUEUED', 'FAILED'].entries()) {
      // Older than every run of mine, so even the page after a cursor of mine would reach them.
      theirRuns.push(
        await insert('runs', { project_id: they, experiment_id: theirExperiment, status, prompt_version_ids: [], model_ids: [], created_at: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString() }),
      );
    }
    const theirDataset = await insert('datasets', { project_id: they, name: 'their dataset' });
    const theirVersion = await version(they, theirDataset, 1, 'READY');
    await version(they, theirDataset, 2, 'READY');
    const theirArtifact = await artifact(they, theirRuns[0]!, 'x.txt', 'READY', '2026-02-01T00:00:00.000Z');
    await artifact(they, theirRuns[0]!, 'y.txt', 'READY', '2026-02-01T00:00:01.000Z');
    // Same seqs, statuses and row indexes as mine: every page and row key of mine would match them.
    const theirVersionId = rowId(theirPrompt.latestVersion.id);
    const theirTask = await task(they, theirRuns[0]!, 1, 'SUCCEEDED', theirModel, theirVersionId);
    for (const [seq, status] of [[2, 'QUEUED'], [3, 'FAILED'], [4, 'RUNNING'], [5, 'QUEUED']] as const) await task(they, theirRuns[0]!, seq, status, theirModel, theirVersionId);
    await runRow(theirRuns[0]!, 0, { x: 'theirs' }, 'z');
    await runRow(theirRuns[0]!, 1, { x: 'theirs too' }, null);

    const myPrompts = await ids(sql`select id from prompts where project_id = ${me} order by name`);
    const myExperiments = [
      // the oldest six of the 120: the first and the sixth have no runs
      ...(await ids(sql`select id from experiments where project_id = ${me} and name like 'exp %' order by created_at limit 6`)),
      tied,
    ];
    Object.assign(mine, {
      projectById: [me],
      apiKeyById: await ids(sql`select id from api_keys where project_id = ${me} order by created_at`),
      auditEventById: await ids(sql`select id from audit_events where project_id = ${me} order by created_at, id`),
      experimentById: [...myExperiments, ...(await ids(sql`select id from experiments where project_id = ${me} order by created_at desc limit 6`))],
      modelById: await ids(sql`select id from models where project_id = ${me} order by name`),
      promptById: myPrompts,
      promptVersionById: await ids(sql`select id from prompt_versions where project_id = ${me} order by created_at`),
      runById: [...(await ids(sql`select id from runs where project_id = ${me} order by created_at limit 6`)), ...myRuns],
      datasetById: datasets,
      datasetVersionById: await ids(sql`select id from dataset_versions where project_id = ${me} order by created_at`),
      artifactById: await ids(sql`select id from artifacts where project_id = ${me} order by created_at, name`),
      taskById: await ids(sql`select id from tasks where project_id = ${me} order by run_id, seq`),
    } satisfies Record<ByIdName, string[]>);
    Object.assign(theirs, {
      projectById: they,
      apiKeyById: (await ids(sql`select id from api_keys where project_id = ${they}`))[0]!,
      auditEventById: await insert('audit_events', { project_id: they, actor_name: 'api-key:theirs', action: 'createModel', target_ids: [], outcome: 'OK', request_id: 'r' }),
      experimentById: theirExperiment,
      modelById: theirModel,
      promptById: rowId(theirPrompt.id),
      promptVersionById: rowId(theirPrompt.latestVersion.id),
      runById: theirRuns[0]!,
      datasetById: theirDataset,
      datasetVersionById: theirVersion,
      artifactById: theirArtifact,
      taskById: theirTask,
    } satisfies Record<ByIdName, string>);
    Object.assign(parents, {
      prompts: { mine: myPrompts, theirs: rowId(theirPrompt.id) },
      experiments: { mine: myExperiments, theirs: theirExperiment },
      datasets: { mine: datasets, theirs: theirDataset },
      runs: { mine: myRuns, theirs: theirRuns[0]! },
    });
  });

  it('covers every loader createLoaders returns', () => {
    const loaders = createLoaders(repos, project.projectId);
    expect(Object.keys(Object.getPrototypeOf(loaders)).sort()).toEqual([...Object.keys(BY_ID), ...PARENT_LOADERS].sort());
  });

  it.each(Object.keys(BY_ID) as ByIdName[])('%s', async (name) => {
    const spec: ByIdSpec = BY_ID[name];
    const sql = lab.database.sql;
    const mineIds = mine[name];
    const foreign = theirs[name];
    expect(mineIds.length).toBeGreaterThan(0);
    // The foreign key is a real row, owned by the other project.
    const [owner] = await sql<{ owner: string }[]>`select ${sql(spec.owner)} as owner from ${sql(spec.table)} where id = ${foreign}`;
    expect(owner?.owner).toBe(other.projectId);
    // ... which the other project's own loader answers.
    expect(await spec.load(createLoaders(repos, other.projectId), [foreign])).toEqual(await spec.one(repos, other.projectId, foreign));
    expect(await spec.load(createLoaders(repos, other.projectId), [foreign])).toMatchObject([{ id: foreign }]);

    const loaders = createLoaders(repos, project.projectId);
    const keys = mixedKeys(mineIds, foreign);
    const before = lab.statements();
    const batched = await spec.load(loaders, keys);
    expect(lab.statements() - before).toBe(1);
    expect(batched).toHaveLength(keys.length);
    for (const [i, key] of keys.entries()) {
      const [scoped] = await sql`select id from ${sql(spec.table)} where id = ${key} and ${sql(spec.owner)} = ${project.projectId}`;
      if (scoped) {
        const [single] = await spec.one(repos, project.projectId, key);
        expect(single).toMatchObject({ id: key });
        expect(batched[i]).toEqual(single);
      } else {
        expect(batched[i]).toBeInstanceOf(Error);
        expect(batched[i]).toMatchObject({ code: 'NOT_FOUND', details: { id: toGlobalId(spec.type, key) } });
      }
    }
    // Exactly the keys of mine were found, the foreign and missing ones were not.
    expect(keys.filter((_, i) => !(batched[i] instanceof Error))).toEqual(keys.filter((key) => mineIds.includes(key)));
    expect(keys.filter((key) => key === foreign || key === MISSING)).toHaveLength(3);

    // And the other project's loaders see none of mine.
    expect((await spec.load(createLoaders(repos, other.projectId), mineIds)).every((row) => row instanceof Error)).toBe(true);
  });

  /** The parent keys of a test, and the other project's loaders; checks the foreign parent really has children. */
  async function parentKeys(kind: keyof typeof parents, childTable: string, parentColumn: string) {
    const sql = lab.database.sql;
    const { mine: mineIds, theirs: foreign } = parents[kind];
    // Without the project filter, the foreign parent's children would be answered.
    const [{ n } = { n: 0 }] = await sql<{ n: number }[]>`
      select count(*)::int as n from ${sql(childTable)} where ${sql(parentColumn)} = ${foreign} and project_id = ${other.projectId}`;
    expect(n).toBeGreaterThan(0);
    return { keys: mixedKeys(mineIds, foreign), mineIds, foreign, loaders: createLoaders(repos, project.projectId), theirLoaders: createLoaders(repos, other.projectId) };
  }

  const counted = async (query: Promise<{ n: number }[]>) => (await query)[0]!.n;

  it('promptVersionById reads each version with its prompt in one statement and primes promptById with it', async () => {
    const sql = lab.database.sql;
    const versionIds = mine.promptVersionById;
    const promptIds = [...new Set(await ids(sql`select prompt_id as id from prompt_versions where id = any(${versionIds}::uuid[])`))];
    expect(promptIds.length).toBeGreaterThan(1);
    const loaders = createLoaders(repos, project.projectId);
    const before = lab.statements();
    const versions = await loaders.promptVersionById.loadMany(versionIds);
    const prompts = await loaders.promptById.loadMany(promptIds);
    // The prompts came with the versions: no statement of their own.
    expect(lab.statements() - before).toBe(1);
    expect(versions.every((v) => !(v instanceof Error))).toBe(true);
    expect(prompts).toEqual(await repos.prompts.byIds(project.projectId, promptIds).then((rows) => promptIds.map((id) => rows.find((r) => r.id === id))));
    // A version of another project, asked of mine, primes nothing: its prompt is still NOT_FOUND here.
    const [foreignPrompt] = await ids(sql`select prompt_id as id from prompt_versions where id = ${theirs.promptVersionById}`);
    const fresh = createLoaders(repos, project.projectId);
    expect(await fresh.promptVersionById.load(theirs.promptVersionById).catch((e: unknown) => e)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await fresh.promptById.load(foreignPrompt!).catch((e: unknown) => e)).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('versionsByPrompt (pages, and the latest version as a page of 1), versionCountByPrompt', async () => {
    const sql = lab.database.sql;
    const me = project.projectId;
    const { keys, mineIds, foreign, loaders, theirLoaders } = await parentKeys('prompts', 'prompt_versions', 'prompt_id');
    const pageArgs = [
      { args: { beforeVersion: null }, limit: 3 },
      { args: { beforeVersion: 3 }, limit: 2 },
      { args: { beforeVersion: null }, limit: 11 },
      // latestVersion: the first of the newest versions, from the same query as the pages without a cursor.
      { args: { beforeVersion: null }, limit: 1 },
    ];
    const pageKeys = shuffled(keys.flatMap((parentId) => pageArgs.map((a) => ({ parentId, ...a }))));

    const before = lab.statements();
    const [pages, counts] = await Promise.all([
      loaders.versionsByPrompt.loadMany(pageKeys),
      loaders.versionCountByPrompt.loadMany(keys.map((parentId) => ({ parentId, args: null }))),
    ]);
    // One statement per distinct cursor, whatever the page sizes asked, and one for the counts.
    expect(lab.statements() - before).toBe(2 + 1);

    for (const [i, key] of keys.entries()) {
      expect(counts[i]).toBe(await counted(sql`select count(*)::int as n from prompt_versions where project_id = ${me} and prompt_id = ${key}`));
    }
    for (const [i, { parentId, args, limit }] of pageKeys.entries()) {
      const expected = await ids(sql`
        select id from prompt_versions where project_id = ${me} and prompt_id = ${parentId}
        ${args.beforeVersion === null ? sql`` : sql`and version < ${args.beforeVersion}`}
        order by version desc limit ${limit}`);
      expect(ok(pages[i]!).map((r) => r.id)).toEqual(expected);
      if (limit === 1 && expected.length) expect(ok(pages[i]!)[0]).toEqual((await repos.prompts.versionsByIds(me, [expected[0]!]))[0]);
    }
    // The seed has what makes these checks bite: a prompt with four versions, pages cut short.
    expect(Math.max(...counts.map((c) => ok(c)))).toBe(4);
    expect(pageKeys.filter((k, i) => k.parentId === foreign && ok(pages[i]!).length > 0)).toEqual([]);

    expect(ok(await theirLoaders.versionsByPrompt.load({ parentId: foreign, args: { beforeVersion: null }, limit: 1 }))[0]!.promptId).toBe(foreign);
    expect((await theirLoaders.versionCountByPrompt.loadMany(mineIds.map((parentId) => ({ parentId, args: null })))).every((n) => n === 0)).toBe(true);
    expect((await theirLoaders.versionsByPrompt.loadMany(mineIds.map((parentId) => ({ parentId, ...pageArgs[2]! })))).flat()).toEqual([]);
  });

  it('runsByExperiment (pages, and the latest run as a page of 1), runCountByExperiment', async () => {
    const sql = lab.database.sql;
    const me = project.projectId;
    const { keys, mineIds, foreign, loaders, theirLoaders } = await parentKeys('experiments', 'runs', 'experiment_id');
    // A cursor in the middle of the runs of mine: older ones of every experiment come after it.
    const [cursor] = await sql<{ created_at: Date; id: string }[]>`
      select created_at, id from runs where experiment_id = ${mineIds[3]!} order by created_at desc, id desc offset 1 limit 1`;
    const after = { createdAt: new Date(cursor!.created_at), id: cursor!.id };
    const pageArgs: { args: RunsPageArgs; limit: number }[] = [
      { args: { after: null, status: null, columns: 'all' }, limit: 3 },
      { args: { after: null, status: [RunStatus.RUNNING], columns: 'all' }, limit: 2 },
      { args: { after, status: null, columns: 'all' }, limit: 6 },
      { args: { after: null, status: [RunStatus.FAILED, RunStatus.QUEUED], columns: 'all' }, limit: 2 },
      // latestRun: the first of the unfiltered runs, from the same query as runs(first: 2).
      { args: { after: null, status: null, columns: 'all' }, limit: 1 },
      // The same for a query that asks for RUN_LIST_FIELDS only: RUN_LIST_COLUMNS of the same runs, in a statement of their own.
      { args: { after: null, status: null, columns: 'list' }, limit: 2 },
      { args: { after: null, status: null, columns: 'list' }, limit: 1 },
    ];
    const countArgs: (RunStatus[] | null)[] = [null, [RunStatus.RUNNING], [RunStatus.FAILED, RunStatus.QUEUED]];
    const pageKeys = shuffled(keys.flatMap((parentId) => pageArgs.map((a) => ({ parentId, ...a }))));
    const countKeys = shuffled(keys.flatMap((parentId) => countArgs.map((args) => ({ parentId, args }))));

    const before = lab.statements();
    const [pages, counts] = await Promise.all([loaders.runsByExperiment.loadMany(pageKeys), loaders.runCountByExperiment.loadMany(countKeys)]);
    expect(lab.statements() - before).toBe(5 + countArgs.length);

    const ofExperiment = (parentId: string, status: string[] | null) =>
      sql`project_id = ${me} and experiment_id = ${parentId} ${status ? sql`and status in ${sql(status)}` : sql``}`;
    for (const [i, { parentId, args, limit }] of pageKeys.entries()) {
      const expected = await ids(sql`
        select id from runs where ${ofExperiment(parentId, args.status)}
        ${args.after ? sql`and (created_at, id) < (${args.after.createdAt.toISOString()}::timestamptz, ${args.after.id}::uuid)` : sql``}
        order by created_at desc, id desc limit ${limit}`);
      expect(ok(pages[i]!).map((r) => r.id)).toEqual(expected);
      const whole = await repos.runs.byIds(me, expected);
      if (args.columns === 'all' && limit === 1 && expected.length) expect(ok(pages[i]!)[0]).toEqual(whole[0]);
      if (args.columns === 'list') {
        expect(ok(pages[i]!)).toEqual(expected.map((id) => pick(whole.find((row) => row.id === id)!, RUN_LIST_COLUMNS)));
        // A list row is not a whole row: the run's loader does not hold it.
        for (const row of ok(pages[i]!)) expect(Object.keys(row)).toEqual([...RUN_LIST_COLUMNS]);
      }
    }
    expect(pageKeys.some(({ args }, i) => args.columns === 'list' && ok(pages[i]!).length > 0)).toBe(true);
    for (const [i, { parentId, args }] of countKeys.entries()) {
      expect(counts[i]).toBe(await counted(sql`select count(*)::int as n from runs where ${ofExperiment(parentId, args)}`));
    }
    // The seed has what makes these checks bite: runs of mine on both sides of the cursor, ties.
    expect(pageKeys.some(({ args }, i) => args.after && ok(pages[i]!).length > 0)).toBe(true);
    expect(pageKeys.some(({ args, parentId }, i) => args.after && mineIds.includes(parentId) && ok(pages[i]!).length === 0)).toBe(true);

    expect(ok(await theirLoaders.runsByExperiment.load({ parentId: foreign, args: { after: null, status: null, columns: 'all' }, limit: 1 }))[0]!.experimentId).toBe(foreign);
    expect((await theirLoaders.runCountByExperiment.loadMany(mineIds.map((parentId) => ({ parentId, args: null })))).every((n) => n === 0)).toBe(true);
    expect((await theirLoaders.runsByExperiment.loadMany(mineIds.map((parentId) => ({ parentId, args: { after: null, status: null, columns: 'list' as const }, limit: 1 })))).flat()).toEqual([]);
  });

  it('versionsByDataset (pages, and the newest READY version as a page of 1), versionCountByDataset', async () => {
    const sql = lab.database.sql;
    const me = project.projectId;
    const { keys, mineIds, foreign, loaders, theirLoaders } = await parentKeys('datasets', 'dataset_versions', 'dataset_id');
    const pageArgs = [
      { args: { beforeVersion: null, readyOnly: false }, limit: 2 },
      { args: { beforeVersion: 3, readyOnly: false }, limit: 2 },
      { args: { beforeVersion: null, readyOnly: false }, limit: 11 },
      // latestVersion: the newest READY version.
      { args: { beforeVersion: null, readyOnly: true }, limit: 1 },
    ];
    const pageKeys = shuffled(keys.flatMap((parentId) => pageArgs.map((a) => ({ parentId, ...a }))));

    const before = lab.statements();
    const [pages, counts] = await Promise.all([
      loaders.versionsByDataset.loadMany(pageKeys),
      loaders.versionCountByDataset.loadMany(keys.map((parentId) => ({ parentId, args: null }))),
    ]);
    expect(lab.statements() - before).toBe(3 + 1);

    for (const [i, key] of keys.entries()) {
      expect(counts[i]).toBe(await counted(sql`select count(*)::int as n from dataset_versions where project_id = ${me} and dataset_id = ${key}`));
    }
    for (const [i, { parentId, args, limit }] of pageKeys.entries()) {
      const expected = await ids(sql`
        select id from dataset_versions where project_id = ${me} and dataset_id = ${parentId}
        ${args.beforeVersion === null ? sql`` : sql`and version < ${args.beforeVersion}`}
        ${args.readyOnly ? sql`and status = 'READY'` : sql``}
        order by version desc limit ${limit}`);
      expect(ok(pages[i]!).map((r) => r.id)).toEqual(expected);
      if (limit === 1 && expected.length) expect(ok(pages[i]!)[0]).toEqual((await repos.datasets.versionsByIds(me, [expected[0]!]))[0]);
    }
    // The seed has what makes these checks bite: the newest READY is not the newest version,
    // a dataset with versions but none READY.
    const latestOf = (datasetId: string) => ok(pages[pageKeys.findIndex((k) => k.parentId === datasetId && k.args.readyOnly)]!)[0] ?? null;
    expect(latestOf(mineIds[0]!)?.version).toBe(1);
    expect(latestOf(mineIds[1]!)?.version).toBe(2);
    expect(latestOf(mineIds[3]!)).toBeNull();
    expect(counts[keys.indexOf(mineIds[3]!)]).toBe(1);

    const latestOfTheirs = (parentId: string) => theirLoaders.versionsByDataset.load({ parentId, args: { beforeVersion: null, readyOnly: true }, limit: 1 });
    expect(ok(await latestOfTheirs(foreign))[0]!.datasetId).toBe(foreign);
    expect((await theirLoaders.versionCountByDataset.loadMany(mineIds.map((parentId) => ({ parentId, args: null })))).every((n) => n === 0)).toBe(true);
    expect((await Promise.all(mineIds.map(latestOfTheirs))).flat()).toEqual([]);
  });

  it('artifactsByRun', async () => {
    const sql = lab.database.sql;
    const me = project.projectId;
    const { keys, mineIds, foreign, loaders, theirLoaders } = await parentKeys('runs', 'artifacts', 'run_id');
    const before = lab.statements();
    const lists = await loaders.artifactsByRun.loadMany(keys.map((parentId) => ({ parentId, args: null })));
    expect(lab.statements() - before).toBe(1);
    for (const [i, key] of keys.entries()) {
      const expected = await ids(sql`
        select id from artifacts where project_id = ${me} and run_id = ${key} and status = 'READY' order by created_at, name`);
      expect(ok(lists[i]!).map((r) => r.id)).toEqual(expected);
    }
    // Oldest first, then by name; uploads not complete are left out.
    expect(ok(lists[keys.indexOf(mineIds[0]!)]!).map((r) => r.name)).toEqual(['c.txt', 'a.txt', 'b.txt']);
    expect(ok(lists[keys.indexOf(mineIds[1]!)]!)).toEqual([]);

    expect(ok(await theirLoaders.artifactsByRun.load({ parentId: foreign, args: null })).map((r) => r.name)).toEqual(['x.txt', 'y.txt']);
    expect((await theirLoaders.artifactsByRun.loadMany(mineIds.map((parentId) => ({ parentId, args: null })))).flat()).toEqual([]);
  });

  it('tasksByRun (pages in seq order, by status, after a seq cursor)', async () => {
    const sql = lab.database.sql;
    const me = project.projectId;
    const { keys, mineIds, foreign, loaders, theirLoaders } = await parentKeys('runs', 'tasks', 'run_id');
    const firstPage: TaskPageArgs = { afterSeq: null, status: null };
    const pageArgs: { args: TaskPageArgs; limit: number }[] = [
      { args: firstPage, limit: 2 },
      { args: firstPage, limit: 10 },
      { args: { afterSeq: 2, status: null }, limit: 2 },
      { args: { afterSeq: null, status: [TaskStatus.FAILED, TaskStatus.QUEUED] }, limit: 2 },
      { args: { afterSeq: 1, status: [TaskStatus.QUEUED] }, limit: 10 },
    ];
    const pageKeys = shuffled(keys.flatMap((parentId) => pageArgs.map((a) => ({ parentId, ...a }))));
    const page = (parentId: string, args: TaskPageArgs, limit: number) =>
      ids(sql`
        select id from tasks where project_id = ${me} and run_id = ${parentId}
        ${args.status ? sql`and status in ${sql(args.status)}` : sql``}
        ${args.afterSeq === null ? sql`` : sql`and seq > ${args.afterSeq}`}
        order by seq limit ${limit}`);

    // Every run's first page, whatever size each asks, in one round trip.
    const sizes = keys.map((_, i) => 1 + (i % 3));
    let before = lab.statements();
    const firsts = await createLoaders(repos, me).tasksByRun.loadMany(keys.map((parentId, i) => ({ parentId, args: firstPage, limit: sizes[i]! })));
    expect(lab.statements() - before).toBe(1);
    for (const [i, key] of keys.entries()) expect(ok(firsts[i]!).map((r) => r.id)).toEqual(await page(key, firstPage, sizes[i]!));

    before = lab.statements();
    const pages = await loaders.tasksByRun.loadMany(pageKeys);
    // One statement per distinct cursor and filter, whatever the page sizes asked.
    expect(lab.statements() - before).toBe(4);
    for (const [i, { parentId, args, limit }] of pageKeys.entries()) {
      const expected = await page(parentId, args, limit);
      expect(ok(pages[i]!).map((r) => r.id)).toEqual(expected);
      if (expected.length) expect(ok(pages[i]!)[0]).toEqual((await repos.tasks.byIds(me, [expected[0]!]))[0]);
    }
    // The seed has what makes these checks bite: tasks inserted out of seq order, pages cut short
    // per run, statuses and seqs on both sides of the filter and the cursor.
    const seqsOf = (parentId: string, n: number) =>
      ok(pages[pageKeys.findIndex((k) => k.parentId === parentId && k.args === pageArgs[n]!.args && k.limit === pageArgs[n]!.limit)]!).map((r) => r.seq);
    expect(seqsOf(mineIds[0]!, 1)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seqsOf(mineIds[0]!, 0)).toEqual([1, 2]);
    expect(seqsOf(mineIds[0]!, 2)).toEqual([3, 4]);
    expect(seqsOf(mineIds[0]!, 3)).toEqual([2, 3]);
    expect(seqsOf(mineIds[0]!, 4)).toEqual([2, 5]);
    expect(seqsOf(mineIds[1]!, 1)).toEqual([1, 2]);
    expect(seqsOf(mineIds[2]!, 1)).toEqual([]);
    expect(pageKeys.filter((k, i) => k.parentId === foreign && ok(pages[i]!).length > 0)).toEqual([]);
    expect(keys.filter((k, i) => k === foreign && ok(firsts[i]!).length > 0)).toEqual([]);

    expect(ok(await theirLoaders.tasksByRun.load({ parentId: foreign, args: firstPage, limit: 10 })).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect((await theirLoaders.tasksByRun.loadMany(mineIds.map((parentId) => ({ parentId, args: firstPage, limit: 10 })))).flat()).toEqual([]);
  });

  it('runRow', async () => {
    const sql = lab.database.sql;
    const me = project.projectId;
    const { mine: myRuns, theirs: foreign } = parents.runs;
    const foreignKey = `${foreign}:0`;
    // The foreign key is a real row, of a run of the other project: only the filter through the run keeps it out.
    const [owner] = await sql<{ owner: string }[]>`
      select r.project_id as owner from run_rows rr join runs r on r.id = rr.run_id where rr.run_id = ${foreign} and rr.row_index = 0`;
    expect(owner?.owner).toBe(other.projectId);
    const mineKeys = [`${myRuns[0]}:0`, `${myRuns[0]}:1`, `${myRuns[0]}:2`, `${myRuns[1]}:0`];
    // A row index past the run's rows, a run of mine with no rows, a run that does not exist.
    const missing = [`${myRuns[0]}:3`, `${myRuns[2]}:0`, `${MISSING}:0`];
    const keys = shuffled([...mineKeys, ...mineKeys.slice(0, 2), ...missing, foreignKey, foreignKey]);

    const loaders = createLoaders(repos, me);
    const before = lab.statements();
    const rows = await loaders.runRow.loadMany(keys);
    expect(lab.statements() - before).toBe(1);
    expect(rows).toHaveLength(keys.length);
    for (const [i, key] of keys.entries()) {
      const [runId, rowIndex] = key.split(':');
      const [single] = await sql<{ input: unknown; expected: unknown }[]>`
        select rr.input, rr.expected from run_rows rr join runs r on r.id = rr.run_id
        where r.project_id = ${me} and rr.run_id = ${runId!} and rr.row_index = ${Number(rowIndex)}`;
      if (single) {
        expect(rows[i]).toEqual({ input: single.input, expected: single.expected });
      } else {
        expect(rows[i]).toBeInstanceOf(Error);
        expect(rows[i]).toMatchObject({ code: 'NOT_FOUND', details: { id: toGlobalId('Task', key) } });
      }
    }
    expect(keys.filter((_, i) => !(rows[i] instanceof Error))).toEqual(keys.filter((key) => mineKeys.includes(key)));
    // Each key gets its own run's row, JSON as stored (a null expected stays null).
    expect(await loaders.runRow.loadMany(mineKeys)).toEqual([
      { input: { x: 'zero' }, expected: 'a' },
      { input: { x: 'one', n: [1, 2] }, expected: null },
      { input: { x: 'two' }, expected: { score: 2 } },
      { input: { x: 'other run' }, expected: 'b' },
    ]);

    const theirLoaders = createLoaders(repos, other.projectId);
    expect(await theirLoaders.runRow.load(foreignKey)).toEqual({ input: { x: 'theirs' }, expected: 'z' });
    expect((await theirLoaders.runRow.loadMany(mineKeys)).every((row) => row instanceof Error)).toBe(true);
  });

  it('metricSummariesByRun and metricSeriesByRun: one metric-store query per argument set, each run its own rows', async () => {
    const me = project.projectId;
    const myRuns = parents.runs.mine;
    const models = [randomUUID(), randomUUID()];
    const points = myRuns.slice(0, 2).flatMap((runId, r) =>
      [0, 1, 2, 3].flatMap((i) =>
        ['score', 'latency_ms'].map((name) => ({
          projectId: me,
          experimentId: randomUUID(),
          runId,
          taskId: `00000000-0000-4000-8000-00000000000${r * 4 + i}`,
          modelId: models[i % 2]!,
          promptVersionId: randomUUID(),
          rowIndex: i,
          repetition: 0,
          name,
          value: (r + 1) * 10 + i,
          timeMs: Date.UTC(2026, 0, 1) + i * 5_000,
        })),
      ),
    );
    await lab.metricStore.insert(points);
    const metrics = lab.services.metrics;
    const shapes = [
      { names: null, groupBy: [] },
      { names: ['score'], groupBy: ['MODEL'] },
    ] as const;
    // Runs with points, a run of mine with none, and a run that does not exist: it has no points either.
    const keys = shuffled(myRuns.flatMap((runId) => shapes.map((shape) => ({ runId, ...shape }))).concat([{ runId: MISSING, ...shapes[0] }]));
    const loaders = createLoaders(repos, me);
    const before = lab.statements();
    const loaded = await loaders.metricSummariesByRun.loadMany(keys);
    expect(lab.statements() - before).toBe(shapes.length);
    // The database may sum in another order for one run than for several: equal to 12 significant digits.
    const rounded = (value: unknown) => JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'number' ? Number(v.toPrecision(12)) : v)));
    for (const [i, key] of keys.entries()) expect(rounded(loaded[i])).toEqual(rounded(await metrics.summaries([key.runId], key.names, key.groupBy)));
    expect(loaded.filter((rows) => (rows as unknown[]).length > 0)).toHaveLength(4);

    const seriesKeys = shuffled(myRuns.flatMap((runId) => [{ runId, name: 'score', bucketSeconds: 10 }, { runId, name: 'latency_ms', bucketSeconds: 5 }]));
    const seriesBefore = lab.statements();
    const series = await createLoaders(repos, me).metricSeriesByRun.loadMany(seriesKeys);
    expect(lab.statements() - seriesBefore).toBe(2);
    for (const [i, key] of seriesKeys.entries()) expect(series[i]).toEqual(await metrics.series([key.runId], key.name, key.bucketSeconds));
    expect((series[seriesKeys.findIndex((k) => k.runId === myRuns[0] && k.name === 'latency_ms')] as unknown[]).length).toBe(4);
  });
});
