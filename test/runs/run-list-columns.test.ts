import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { selectsOnly } from '../../src/modules/common/selection.js';
import { RUN_LIST_COLUMNS, RUN_LIST_FIELDS } from '../../src/modules/runs/runs.types.js';
import { RunsRepo } from '../../src/modules/runs/runs.repo.js';
import { rowId, useTestLab } from '../helpers/lab.js';
import { StartRun } from '../helpers/operations.js';
import { questionRows, runConfig, waitForRun } from '../helpers/runs.js';

/** A selection of each Run field that reads only RUN_LIST_COLUMNS: its whole list, so a field added there without a check here fails. */
const LIST_FIELDS: Record<string, string> = {
  id: 'id',
  status: 'status',
  createdAt: 'createdAt',
  experiment: 'experiment { id name }',
  models: 'models { id name }',
  promptVersions: 'promptVersions { id version prompt { id } }',
  metrics: 'metrics { name count mean }',
  metricSeries: 'metricSeries(name: "latency_ms", bucketSeconds: 3600) { count }',
  artifacts: 'artifacts { id name sizeBytes }',
};

/** A selection of every other Run field: a list that asks for any of them reads whole rows. */
const OTHER_FIELDS: Record<string, string> = {
  repetitions: 'repetitions',
  error: 'error',
  startedAt: 'startedAt',
  finishedAt: 'finishedAt',
  evaluators: 'evaluators { kind name params }',
  progress: 'progress { total queued running succeeded failed cancelled fraction }',
  usage: 'usage { promptTokens completionTokens costUsd }',
  datasetVersion: 'datasetVersion { id }',
  tasks: 'tasks(first: 2) { totalCount nodes { id status } }',
};

/** The statements that read pages of runs (one LATERAL page per experiment), among `texts`. */
const runPages = (texts: string[]) => texts.filter((text) => /cross join lateral \(select .* from "runs" where \("runs"\."experiment_id" = parent\.id/s.test(text));
/** The columns a statement's page of runs reads, by name. */
const selectedColumns = (text: string) => {
  const page = text.slice(text.indexOf('lateral (select ') + 16);
  return [...page.slice(0, page.indexOf(' from "runs"')).matchAll(/"(\w+)"/g)].map((m) => m[1]);
};
const LIST_COLUMN_NAMES = ['id', 'project_id', 'experiment_id', 'status', 'prompt_version_ids', 'model_ids', 'created_at'];

describe('a list of runs reads the columns its fields need', () => {
  const t = useTestLab('RESEARCHER', { worker: true });

  async function experimentWithRuns() {
    const { client } = t.project;
    const config = await runConfig(client, questionRows(3), [{ provider: 'ECHO' }, { provider: 'ECHO' }]);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { startRun } = await client.request(StartRun, {
        input: { experimentId: config.experimentId, datasetVersionId: config.datasetVersionId, promptVersionIds: [config.promptVersionId], modelIds: config.modelIds, evaluators: [{ kind: 'EXACT_MATCH' }] },
      });
      await waitForRun(client, startRun.id);
      ids.unshift(startRun.id);
    }
    return { experimentId: config.experimentId, runIds: ids };
  }

  /** The runs of the experiment as a page and as its latest run, and each run by id, with `fields` (in a fragment when asked). */
  async function readBothWays(experimentId: string, runIds: string[], fields: string, viaFragment: boolean) {
    const { client } = t.project;
    const selection = viaFragment ? '...RunFields' : fields;
    const fragment = viaFragment ? `fragment RunFields on Run { ${fields} }` : '';
    const before = t.lab.statements();
    const listed = await client.request<{ experiment: { latestRun: unknown; runs: { nodes: unknown[]; edges: { node: unknown }[] } } }>(
      `query ($id: ID!) { experiment(id: $id) { latestRun { ${selection} } runs(first: 5) { nodes { ${selection} } edges { cursor node { ${selection} } } } } } ${fragment}`,
      { id: experimentId },
    );
    const statements = runPages(t.lab.statementTextsSince(before));
    const single = await Promise.all(runIds.map(async (id) => (await client.request<{ run: unknown }>(`query ($id: ID!) { run(id: $id) { ${selection} } } ${fragment}`, { id })).run));
    return { listed: listed.experiment, single, statements };
  }

  it('a page and the latest run asking for list fields only read RUN_LIST_COLUMNS, and answer as the run itself does', async () => {
    expect(Object.keys(LIST_FIELDS).sort()).toEqual([...RUN_LIST_FIELDS].sort());
    expect(RUN_LIST_COLUMNS).toEqual(['id', 'projectId', 'experimentId', 'status', 'promptVersionIds', 'modelIds', 'createdAt']);
    const { experimentId, runIds } = await experimentWithRuns();
    for (const viaFragment of [false, true]) {
      const { listed, single, statements } = await readBothWays(experimentId, runIds, Object.values(LIST_FIELDS).join(' '), viaFragment);
      // One statement for the page and the latest run, with the list's columns only.
      expect(statements).toHaveLength(1);
      expect(selectedColumns(statements[0]!)).toEqual(LIST_COLUMN_NAMES);
      expect(listed.runs.nodes).toEqual(single);
      expect(listed.runs.edges.map((e) => e.node)).toEqual(single);
      expect(listed.latestRun).toEqual(single[0]);
    }
  });

  it('a page or latest run asking for any other field, directly or in a fragment, reads whole rows and answers as the run itself does', async () => {
    const { data } = await t.project.client.rawRequest<{ __type: { fields: { name: string }[] } }>('{ __type(name: "Run") { fields { name } } }');
    const others = data.__type.fields.map((f) => f.name).filter((name) => !RUN_LIST_FIELDS.has(name));
    expect(Object.keys(OTHER_FIELDS).sort()).toEqual(others.sort());
    const { experimentId, runIds } = await experimentWithRuns();
    for (const [name, selection] of Object.entries(OTHER_FIELDS)) {
      for (const viaFragment of [false, true]) {
        const { listed, single, statements } = await readBothWays(experimentId, runIds, `id status ${selection}`, viaFragment);
        expect(statements, name).toHaveLength(1);
        expect(selectedColumns(statements[0]!), name).toHaveLength(31);
        expect(listed.runs.nodes, name).toEqual(single);
        expect(listed.latestRun, name).toEqual(single[0]);
      }
    }
  });
  it('list rows hold the same id arrays as whole rows: empty, with a NULL element (the driver reads it as the text NULL), in order', async () => {
    const { experimentId } = await experimentWithRuns();
    const experiment = rowId(experimentId);
    const sql = t.lab.database.sql;
    const a = '00000000-0000-4000-8000-00000000000a';
    const b = '00000000-0000-4000-8000-00000000000b';
    for (const [promptVersionIds, modelIds] of [[[], [b, a]], [[a, null, b], [null]]] as (string | null)[][][]) {
      await sql`insert into runs (project_id, experiment_id, prompt_version_ids, model_ids) values (${t.project.projectId}, ${experiment}, ${promptVersionIds}::uuid[], ${modelIds}::uuid[])`;
    }
    const repo = new RunsRepo(t.lab.database.db);
    const page = (columns: 'list' | 'all') => repo.pagesByExperiment(t.project.projectId, [experiment], { after: null, status: null, columns }, 10);
    const [list, all] = await Promise.all([page('list'), page('all')]);
    expect(list.length).toBe(4);
    expect(list.map((row) => [row.promptVersionIds, row.modelIds])).toEqual(all.map((row) => [row.promptVersionIds, row.modelIds]));
    expect(list.slice(0, 2).map((row) => [row.promptVersionIds, row.modelIds])).toEqual([
      [[a, 'NULL', b], ['NULL']],
      [[], [b, a]],
    ]);
  });
});

describe('selectsOnly', () => {
  const allowed = new Set(['id', 'status']);
  /** The test of `paths` on the first field of the query's operation. */
  const test = (query: string, paths: string[][] = [[]]) => {
    const document = parse(query);
    const fragments = Object.fromEntries(document.definitions.flatMap((d) => (d.kind === 'FragmentDefinition' ? [[d.name.value, d]] : [])));
    const operation = document.definitions.find((d) => d.kind === 'OperationDefinition')!;
    const field = operation.selectionSet.selections[0]!;
    if (field.kind !== 'Field') throw new Error('a field first');
    return selectsOnly(paths, allowed)({ fieldNodes: [field], fragments });
  };

  it('follows aliases, inline fragments, fragment spreads and conditions, and answers no when in doubt', () => {
    expect(test('{ run { id status __typename other: id } }')).toBe(true);
    expect(test('{ run { id progress { total } } }')).toBe(false);
    expect(test('{ run { id ... on Run { status } } }')).toBe(true);
    expect(test('{ run { id ... on Run { error } } }')).toBe(false);
    expect(test('{ run { ...F } } fragment F on Run { id ...G } fragment G on Run { status }')).toBe(true);
    expect(test('{ run { ...F } } fragment F on Run { id ...G } fragment G on Run { usage { costUsd } }')).toBe(false);
    expect(test('{ run { ...Missing } }')).toBe(false);
    // A field under @include counts whatever its condition.
    expect(test('query ($x: Boolean!) { run { id error @include(if: $x) } }')).toBe(false);
    // Connection paths: fields beside nodes and edges are the connection's own.
    expect(test('{ runs { totalCount pageInfo { hasNextPage } nodes { id } edges { cursor node { status } } } }', [['nodes'], ['edges', 'node']])).toBe(true);
    expect(test('{ runs { nodes { id } edges { node { repetitions } } } }', [['nodes'], ['edges', 'node']])).toBe(false);
    expect(test('{ runs { ... on RunConnection { nodes { error } } } }', [['nodes'], ['edges', 'node']])).toBe(false);
  });
});
