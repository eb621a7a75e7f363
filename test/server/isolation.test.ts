import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/common/global-id.js';
import { graphqlError, rowId, startTestLab, subscribe, wsClient, type TestLab, type TestProject } from '../helpers/lab.js';
import {
  ArchiveExperiment,
  CompleteArtifactUpload,
  CompleteDatasetUpload,
  CreateArtifactUpload,
  CreateDatasetUpload,
  CreateExperiment,
  CreateModel,
  CreatePrompt,
  CreatePromptVersion,
  ExperimentUpdated,
  GetExperiment,
  GetPrompt,
  ListApiKeys,
  NodeQuery,
  RevokeApiKey,
  UpdateExperiment,
} from '../helpers/operations.js';

let lab: TestLab;
let mine: TestProject;
let theirs: TestProject;
const their: Record<string, string> = {};

beforeAll(async () => {
  lab = await startTestLab();
  mine = await lab.newProject('ADMIN');
  theirs = await lab.newProject('ADMIN');
  their.experiment = (await theirs.client.request(CreateExperiment, { input: { name: 'secret plan' } })).createExperiment.id;
  const prompt = (await theirs.client.request(CreatePrompt, { input: { name: 'p', template: 'Hi {{name}}' } })).createPrompt;
  their.prompt = prompt.id;
  their.promptVersion = prompt.latestVersion.id;
  their.model = (await theirs.client.request(CreateModel, { input: { name: 'm', provider: 'ECHO', modelName: 'echo' } })).createModel.id;
  their.apiKey = (await theirs.client.request(ListApiKeys)).apiKeys[0]!.id;

  // Runs, datasets and artifacts are seeded in SQL (startRun arrives with the run engine).
  const sql = lab.database.sql;
  const insert = async (table: string, row: Record<string, string | number | string[]>) =>
    (await sql<{ id: string }[]>`insert into ${sql(table)} ${sql(row)} returning id`)[0]!.id;
  const runId = await insert('runs', {
    project_id: theirs.projectId,
    experiment_id: Buffer.from(their.experiment, 'base64url').toString().split(':')[1]!,
    status: 'SUCCEEDED',
    prompt_version_ids: [],
    model_ids: [],
  });
  const datasetId = await insert('datasets', { project_id: theirs.projectId, name: 'secret data' });
  const version = (n: number, status: string, blobKey: string, sizeBytes: number) =>
    insert('dataset_versions', { project_id: theirs.projectId, dataset_id: datasetId, version: n, status, format: 'JSONL', blob_key: blobKey, size_bytes: sizeBytes });
  const artifact = (name: string, status: string, blobKey: string, sizeBytes: number) =>
    insert('artifacts', { project_id: theirs.projectId, run_id: runId, name, content_type: 'text/plain', size_bytes: sizeBytes, blob_key: blobKey, status });
  // The uploads still open have their bytes in the store: only the project check stands between
  // another project's complete* call and a change of status.
  const jsonl = Buffer.from('{"input":{"q":1}}\n');
  const pendingVersionKey = `projects/${theirs.projectId}/datasets/${datasetId}/v2.jsonl`;
  const pendingArtifactKey = `projects/${theirs.projectId}/runs/${runId}/artifacts/pending`;
  await lab.blobs.put(pendingVersionKey, jsonl, 'application/x-ndjson');
  await lab.blobs.put(pendingArtifactKey, jsonl, 'text/plain');
  their.run = toGlobalId('Run', runId);
  their.dataset = toGlobalId('Dataset', datasetId);
  their.datasetVersion = toGlobalId('DatasetVersion', await version(1, 'READY', `projects/${theirs.projectId}/datasets/${datasetId}/v1.jsonl`, jsonl.length));
  their.pendingDatasetVersion = toGlobalId('DatasetVersion', await version(2, 'AWAITING_UPLOAD', pendingVersionKey, jsonl.length));
  their.artifact = toGlobalId('Artifact', await artifact('report.txt', 'READY', `projects/${theirs.projectId}/runs/${runId}/artifacts/report`, jsonl.length));
  their.pendingArtifact = toGlobalId('Artifact', await artifact('pending.txt', 'AWAITING_UPLOAD', pendingArtifactKey, jsonl.length));
});
afterAll(() => lab.close());

describe('project isolation', () => {
  it.each(['experiment', 'prompt', 'promptVersion', 'model', 'apiKey', 'run', 'dataset', 'datasetVersion', 'artifact'])('node(id) of another project\'s %s is NOT_FOUND', async (kind) => {
    const error = await graphqlError(mine.client.request(NodeQuery, { id: their[kind]! }));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain(their[kind]);
    // The owner sees it through the same query: the refusal is about the project, not the id.
    const { node } = await theirs.client.request(NodeQuery, { id: their[kind]! });
    expect(node?.id).toBe(their[kind]);
  });

  it('another project\'s dataset, dataset version, run or artifact in an upload mutation is NOT_FOUND and changes nothing', async () => {
    const sql = lab.database.sql;
    // Their rows, and every row in any project hanging on their dataset or run.
    const snapshot = async () => ({
      datasets: await sql`select * from datasets where id = ${rowId(their.dataset!)}`,
      versions: await sql`select * from dataset_versions where dataset_id = ${rowId(their.dataset!)} order by version`,
      artifacts: await sql`select * from artifacts where run_id = ${rowId(their.run!)} order by name`,
      runs: await sql`select * from runs where id = ${rowId(their.run!)}`,
      mine: await sql`select
        (select count(*)::int from dataset_versions where project_id = ${mine.projectId}) as versions,
        (select count(*)::int from artifacts where project_id = ${mine.projectId}) as artifacts`,
    });
    const before = await snapshot();
    expect(before.versions.map((v) => v.status)).toEqual(['READY', 'AWAITING_UPLOAD']);
    expect(before.artifacts.map((a) => [a.name, a.status])).toEqual([['pending.txt', 'AWAITING_UPLOAD'], ['report.txt', 'READY']]);

    // One at a time: each would change a row if the project were not checked.
    const refusals = [
      [their.pendingDatasetVersion!, () => mine.client.request(CompleteDatasetUpload, { datasetVersionId: their.pendingDatasetVersion! })],
      [their.datasetVersion!, () => mine.client.request(CompleteDatasetUpload, { datasetVersionId: their.datasetVersion! })],
      [their.pendingArtifact!, () => mine.client.request(CompleteArtifactUpload, { artifactId: their.pendingArtifact! })],
      [their.artifact!, () => mine.client.request(CompleteArtifactUpload, { artifactId: their.artifact! })],
      [their.run!, () => mine.client.request(CreateArtifactUpload, { input: { runId: their.run!, name: 'mine.txt', contentType: 'text/plain', sizeBytes: 1 } })],
      [their.dataset!, () => mine.client.request(CreateDatasetUpload, { input: { datasetId: their.dataset!, format: 'JSONL', sizeBytes: 10 } })],
    ] as const;
    for (const [id, request] of refusals) {
      const error = await graphqlError(request());
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).toContain(id);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('another project\'s id through a typed query is NOT_FOUND', async () => {
    expect((await graphqlError(mine.client.request(GetExperiment, { id: their.experiment! }))).code).toBe('NOT_FOUND');
    expect((await graphqlError(mine.client.request(GetPrompt, { id: their.prompt! }))).code).toBe('NOT_FOUND');
  });

  it('another project\'s id in a mutation argument or input field is NOT_FOUND and changes nothing', async () => {
    expect((await graphqlError(mine.client.request(UpdateExperiment, { id: their.experiment!, input: { name: 'mine now' } }))).code).toBe('NOT_FOUND');
    expect((await graphqlError(mine.client.request(ArchiveExperiment, { id: their.experiment! }))).code).toBe('NOT_FOUND');
    expect((await graphqlError(mine.client.request(RevokeApiKey, { id: their.apiKey! }))).code).toBe('NOT_FOUND');
    const error = await graphqlError(mine.client.request(CreatePromptVersion, { input: { promptId: their.prompt!, template: 'x' } }));
    expect(error.code).toBe('NOT_FOUND');
    const { experiment } = await theirs.client.request(GetExperiment, { id: their.experiment! });
    expect(experiment?.name).toBe('secret plan');
    const { prompt } = await theirs.client.request(GetPrompt, { id: their.prompt! });
    expect(prompt?.versions.totalCount).toBe(1);
    expect((await theirs.client.request(NodeQuery, { id: their.apiKey! })).node?.id).toBe(their.apiKey);
  });

  it('nested fields read only rows of the caller\'s project, even a row wrongly attached to another project\'s parent', async () => {
    const [theirPromptId, myProjectId] = [Buffer.from(their.prompt!, 'base64url').toString().split(':')[1], mine.projectId];
    await lab.database.sql`insert into prompt_versions (project_id, prompt_id, version, template, variables)
      values (${myProjectId}, ${theirPromptId!}, 99, 'planted', '{}')`;
    const { prompt } = await theirs.client.request(GetPrompt, { id: their.prompt! });
    expect(prompt?.versions.nodes.map((v) => v.id)).toEqual([their.promptVersion]);
    expect(prompt?.versions.totalCount).toBe(1);
    expect(prompt?.latestVersion.version).toBe(1);
  });

  it('subscribing to another project\'s experiment is NOT_FOUND', async () => {
    const client = wsClient(lab.wsUrl, mine.key);
    try {
      const first = await subscribe(client, ExperimentUpdated, { id: their.experiment! }).next();
      expect(first.value?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    } finally {
      await client.dispose();
    }
  });
});
