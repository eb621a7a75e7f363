import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { graphqlError, useTestLab } from '../helpers/lab.js';
import { CreateDataset, CreateDatasetUpload, CreateModel, StartRun } from '../helpers/operations.js';
import { questionRows, runConfig } from '../helpers/runs.js';

describe('startRun refuses bad input with a code, and changes nothing', () => {
  const t = useTestLab('RESEARCHER', { worker: true, jobs: (name) => name === 'dataset-validation' });

  async function counts() {
    const [row] = (await t.lab.database.db.execute(
      sql`select (select count(*) from runs)::int as runs, (select count(*) from tasks)::int as tasks, (select count(*) from run_rows)::int as rows`,
    )) as unknown as [Record<string, number>];
    return row;
  }

  it('refuses each bad input, leaving no run, task or row behind', async () => {
    const { client } = t.project;
    const config = await runConfig(client, questionRows(3), [{ baseUrl: 'http://127.0.0.1:9/v1' }]);
    const good = {
      experimentId: config.experimentId,
      datasetVersionId: config.datasetVersionId,
      promptVersionIds: [config.promptVersionId],
      modelIds: config.modelIds,
      evaluators: [],
    };
    const other = await t.lab.newProject('RESEARCHER');
    const foreign = await runConfig(other.client, questionRows(1), [{ baseUrl: 'http://127.0.0.1:9/v1' }]);
    const { createDataset } = await client.request(CreateDataset, { input: { name: 'never uploaded' } });
    const { createDatasetUpload } = await client.request(CreateDatasetUpload, { input: { datasetId: createDataset.id, format: 'JSONL', sizeBytes: 10, sha256: null } });
    const { createModel: judge } = await client.request(CreateModel, { input: { name: 'judge', provider: 'ECHO', modelName: 'echo' } });
    void judge;

    const before = await counts();
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ['a dataset version not READY', { datasetVersionId: createDatasetUpload.datasetVersion.id }, 'BAD_USER_INPUT', /AWAITING_UPLOAD; a run needs a READY version/],
      ["another project's experiment", { experimentId: foreign.experimentId }, 'NOT_FOUND', /No Experiment with id/],
      ["another project's dataset version", { datasetVersionId: foreign.datasetVersionId }, 'NOT_FOUND', /No DatasetVersion with id/],
      ["another project's prompt version", { promptVersionIds: [foreign.promptVersionId] }, 'NOT_FOUND', /No PromptVersion with id/],
      ["another project's model", { modelIds: foreign.modelIds }, 'NOT_FOUND', /No Model with id/],
      ['0 prompt versions', { promptVersionIds: [] }, 'BAD_USER_INPUT', /promptVersionIds: give at least one/],
      ['0 models', { modelIds: [] }, 'BAD_USER_INPUT', /modelIds: give at least one/],
      ['repetitions 0', { repetitions: 0 }, 'BAD_USER_INPUT', /repetitions: must be a whole number from 1 to 1,000 \(got 0\)/],
      ['repetitions 1,000,000', { repetitions: 1_000_000 }, 'BAD_USER_INPUT', /repetitions: must be a whole number from 1 to 1,000 \(got 1000000\)/],
      ['a negative budget', { maxCostUsd: -1 }, 'BAD_USER_INPUT', /maxCostUsd: must be more than 0/],
      ['concurrency 0', { concurrency: 0 }, 'BAD_USER_INPUT', /concurrency: must be a whole number from 1/],
      ['sampleLimit 0', { sampleLimit: 0 }, 'BAD_USER_INPUT', /sampleLimit: must be a whole number from 1/],
      ['an evaluator with unknown params', { evaluators: [{ kind: 'EXACT_MATCH', params: { casesensitive: true } }] }, 'BAD_USER_INPUT', /evaluators\[0\]\.params\.casesensitive: unknown parameter/],
      ['two evaluators with one metric name', { evaluators: [{ kind: 'BLEU' }, { kind: 'BLEU' }] }, 'BAD_USER_INPUT', /two evaluators write the metric "bleu"/],
      ['a regex that does not compile', { evaluators: [{ kind: 'REGEX', params: { pattern: '(unclosed' } }] }, 'BAD_USER_INPUT', /evaluators\[0\]\.params\.pattern: not a valid regular expression/],
      ['an evaluator named like a call metric', { evaluators: [{ kind: 'CONTAINS', name: 'latency_ms' }] }, 'BAD_USER_INPUT', /"latency_ms" is recorded for every task already/],
      ['an evaluator named like a judge\'s cost', { evaluators: [{ kind: 'LLM_JUDGE', name: 'judge', params: { modelId: config.modelIds[0], rubric: 'x' } }, { kind: 'BLEU', name: 'judge_cost_usd' }] }, 'BAD_USER_INPUT', /two evaluators write the metric "judge_cost_usd"/],
      ['a judge of another project', { evaluators: [{ kind: 'LLM_JUDGE', params: { modelId: foreign.modelIds[0], rubric: 'correct?' } }] }, 'NOT_FOUND', /No Model with id/],
      ['an id of the wrong type', { experimentId: config.datasetVersionId }, 'BAD_USER_INPUT', /input\.experimentId/],
    ];
    for (const [name, change, code, message] of cases) {
      const error = await graphqlError(client.request(StartRun, { input: { ...good, ...change } as never }));
      expect({ name, code: error.code }).toEqual({ name, code });
      expect(error.message, name).toMatch(message);
    }
    expect(await counts()).toEqual(before);
    // The same input without the fault is accepted: the refusals came from the fault alone.
    const { startRun } = await client.request(StartRun, { input: good });
    expect(startRun.progress.total).toBe(3);
    expect(await counts()).toEqual({ runs: before!.runs! + 1, tasks: before!.tasks! + 3, rows: before!.rows! + 3 });
  });

  it('refuses a VIEWER', async () => {
    const { client } = await t.project.keyWithRole('VIEWER');
    const error = await graphqlError(client.request(StartRun, { input: { experimentId: 'x', datasetVersionId: 'x', promptVersionIds: [], modelIds: [], evaluators: [] } }));
    expect(error.code).toBe('FORBIDDEN');
  });

  it('refuses a run of more than 1,000,000 tasks, saying what to lower', async () => {
    const { client } = t.project;
    const config = await runConfig(client, questionRows(2_001), [{ baseUrl: 'http://127.0.0.1:9/v1' }]);
    const error = await graphqlError(
      client.request(StartRun, {
        input: { experimentId: config.experimentId, datasetVersionId: config.datasetVersionId, promptVersionIds: [config.promptVersionId], modelIds: config.modelIds, evaluators: [], repetitions: 500 },
      }),
    );
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/1,000,500 tasks .* the most is 1,000,000: lower sampleLimit or repetitions/);
  });
});
