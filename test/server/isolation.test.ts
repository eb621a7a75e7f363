import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlError, startTestLab, subscribe, wsClient, type TestLab, type TestProject } from '../helpers/lab.js';
import {
  ArchiveExperiment,
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
});
afterAll(() => lab.close());

describe('project isolation', () => {
  it.each(['experiment', 'prompt', 'promptVersion', 'model', 'apiKey'])('node(id) of another project\'s %s is NOT_FOUND', async (kind) => {
    const error = await graphqlError(mine.client.request(NodeQuery, { id: their[kind]! }));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain(their[kind]);
    // The owner sees it through the same query: the refusal is about the project, not the id.
    const { node } = await theirs.client.request(NodeQuery, { id: their[kind]! });
    expect(node?.id).toBe(their[kind]);
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
