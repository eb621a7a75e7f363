import type { GraphQLClient } from 'graphql-request';
import { CompleteDatasetUpload, CreateDataset, CreateDatasetUpload, CreateExperiment, CreateModel, CreatePrompt, GetDatasetVersion, GetRun } from './operations.js';

export interface DatasetRowSpec {
  input: Record<string, unknown>;
  expected?: unknown;
}

/** `n` questions with expected answers, as JSONL rows. */
export function questionRows(n: number): DatasetRowSpec[] {
  return Array.from({ length: n }, (_, i) => ({ input: { question: `What is ${i} + ${i}?`, n: i }, expected: String(2 * i) }));
}

/** A READY dataset version with these rows, uploaded like a client would (the lab's worker validates it). */
export async function readyDatasetVersion(client: GraphQLClient, rows: DatasetRowSpec[]): Promise<string> {
  const { createDataset } = await client.request(CreateDataset, { input: { name: `ds-${Math.random().toString(36).slice(2)}` } });
  const file = Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const { createDatasetUpload: grant } = await client.request(CreateDatasetUpload, {
    input: { datasetId: createDataset.id, format: 'JSONL', sizeBytes: file.length, sha256: null },
  });
  const put = await fetch(grant.url!, { method: 'PUT', headers: { ...(grant.headers as Record<string, string>), 'Content-Length': String(file.length) }, body: file });
  if (!put.ok) throw new Error(`upload failed: ${put.status} ${await put.text()}`);
  await client.request(CompleteDatasetUpload, { datasetVersionId: grant.datasetVersion.id, parts: null });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { node } = await client.request(GetDatasetVersion, { id: grant.datasetVersion.id, previewLimit: 1 });
    if (node && 'status' in node && node.status === 'READY') return grant.datasetVersion.id;
    if (node && 'status' in node && node.status === 'FAILED') throw new Error(`dataset failed validation: ${JSON.stringify(node)}`);
    if (Date.now() > deadline) throw new Error('dataset version did not become READY');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface RunConfig {
  experimentId: string;
  datasetVersionId: string;
  promptVersionId: string;
  modelIds: string[];
}

export interface ModelSpec {
  name?: string;
  provider?: 'OPENAI_COMPATIBLE' | 'OPENAI' | 'ANTHROPIC' | 'ECHO';
  baseUrl?: string | null;
  apiKey?: string | null;
  maxConcurrency?: number;
  requestsPerMinute?: number | null;
  inputCostPerMTok?: number | null;
  outputCostPerMTok?: number | null;
  parameters?: Record<string, unknown>;
}

/** An experiment, a dataset version of `rows`, a prompt over {{question}} and one model per spec. */
export async function runConfig(client: GraphQLClient, rows: DatasetRowSpec[], models: ModelSpec[]): Promise<RunConfig> {
  const suffix = Math.random().toString(36).slice(2);
  const { createExperiment } = await client.request(CreateExperiment, { input: { name: `exp-${suffix}` } });
  const datasetVersionId = await readyDatasetVersion(client, rows);
  const { createPrompt } = await client.request(CreatePrompt, {
    input: { name: `prompt-${suffix}`, system: 'Answer with a number only.', template: 'Q: {{question}}' },
  });
  const modelIds: string[] = [];
  for (const [i, spec] of models.entries()) {
    const { createModel } = await client.request(CreateModel, {
      input: {
        name: spec.name ?? `model-${i}-${suffix}`,
        provider: spec.provider ?? 'OPENAI_COMPATIBLE',
        modelName: `fake-${i}`,
        baseUrl: spec.baseUrl ?? null,
        apiKey: spec.apiKey ?? null,
        maxConcurrency: spec.maxConcurrency ?? 50,
        requestsPerMinute: spec.requestsPerMinute ?? null,
        inputCostPerMTok: spec.inputCostPerMTok ?? 1,
        outputCostPerMTok: spec.outputCostPerMTok ?? 2,
        parameters: spec.parameters ?? null,
      },
    });
    modelIds.push(createModel.id);
  }
  return { experimentId: createExperiment.id, datasetVersionId, promptVersionId: createPrompt.latestVersion!.id, modelIds };
}

const ENDED = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** Polls the run until it reaches one of `statuses` (default: any final status). */
export async function waitForRun(client: GraphQLClient, id: string, statuses: string[] = ENDED, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { run } = await client.request(GetRun, { id, first: 1 });
    if (run && statuses.includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${id} did not reach ${statuses.join('/')}: ${JSON.stringify(run)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every task of the run, paging through `tasks` 100 at a time. */
export async function allTasks(client: GraphQLClient, id: string) {
  const tasks = [];
  let after: string | null = null;
  for (;;) {
    const { run } = (await client.request(GetRun, { id, first: 100, after })) as { run: { tasks: { nodes: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } };
    tasks.push(...(run.tasks.nodes as Awaited<ReturnType<typeof waitForRun>>['tasks']['nodes']));
    if (!run.tasks.pageInfo.hasNextPage) return tasks;
    after = run.tasks.pageInfo.endCursor;
  }
}
