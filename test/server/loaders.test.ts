import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoaders } from '../../src/server/context.js';
import { createRepos } from '../../src/server/services.js';
import { startTestLab, type TestLab, type TestProject } from '../helpers/lab.js';
import { CreateExperiment, CreateModel, CreatePrompt, CreatePromptVersion, ExperimentsWithRuns } from '../helpers/operations.js';

let lab: TestLab;
let project: TestProject;
const rowId = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1]!;

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
    // auth, page, count, runs pages, run counts, latest runs, experiments, models, prompt versions, prompts
    expect(large.statements).toBeLessThanOrEqual(10);

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

  it('each loader answers like an unbatched query, in key order, with an Error for a missing or foreign key', async () => {
    const repos = createRepos(lab.database.db);
    const loaders = createLoaders(repos, project.projectId);
    const experimentIds = (await lab.database.sql<{ id: string }[]>`select id from experiments where project_id = ${project.projectId} order by created_at limit 12`).map((r) => r.id);
    const missing = '00000000-0000-4000-8000-000000000000';
    const keys = [...experimentIds.slice().reverse(), missing, experimentIds[0]!];

    const batched = await loaders.experimentById.loadMany(keys);
    for (const [i, key] of keys.entries()) {
      const [single] = await repos.experiments.byIds(project.projectId, [key]);
      if (single) expect(batched[i]).toEqual(single);
      else expect(batched[i]).toBeInstanceOf(Error);
    }

    const args = { first: 2, after: null, status: null };
    const pages = await Promise.all(keys.map((parentId) => loaders.runsByExperiment.load({ parentId, args })));
    const counts = await Promise.all(keys.map((parentId) => loaders.runCountByExperiment.load({ parentId, args: null })));
    const latest = await Promise.all(keys.map((key) => loaders.latestRunByExperiment.load(key)));
    for (const [i, key] of keys.entries()) {
      const unbatched = await lab.database.sql<{ id: string }[]>`
        select id from runs where project_id = ${project.projectId} and experiment_id = ${key} order by created_at desc, id desc`;
      expect(pages[i]!.map((r) => r.id)).toEqual(unbatched.slice(0, 3).map((r) => r.id));
      expect(counts[i]![0]?.count ?? 0).toBe(unbatched.length);
      expect(latest[i]?.id ?? null).toBe(unbatched[0]?.id ?? null);
    }

    const other = await lab.newProject('ADMIN');
    const foreign = createLoaders(repos, other.projectId);
    expect(await foreign.experimentById.load(experimentIds[0]!).catch((e: Error) => e)).toBeInstanceOf(Error);
    expect(await foreign.runCountByExperiment.load({ parentId: experimentIds[1]!, args: null })).toEqual([]);
  });
});
