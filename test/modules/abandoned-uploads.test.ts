import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { abandonedArtifactUploadsJob } from '../../src/modules/artifacts/abandoned-uploads.job.js';
import { abandonedDatasetUploadsJob } from '../../src/modules/datasets/abandoned-uploads.job.js';
import { toGlobalId } from '../../src/common/global-id.js';
import { rowId, useTestLab } from '../helpers/lab.js';
import { CompleteDatasetUpload, CreateDataset, CreateDatasetUpload, CreateExperiment, CreateArtifactUpload, GetDatasetVersion } from '../helpers/operations.js';

const logger = pino({ level: 'silent' });

describe.each(['local', 's3'] as const)('abandoned uploads on the %s blob store', (kind) => {
  // A database of its own: the sweep looks at every project's uploads.
  const t = useTestLab('RESEARCHER', { blobs: kind, isolated: true });
  const age = (table: string, id: string) => t.lab.database.sql`update ${t.lab.database.sql(table)} set created_at = now() - interval '3 hours' where id = ${id}`;

  it('fails dataset versions never completed, removing their bytes and open multipart upload, and leaves recent ones alone', async () => {
    const { createDataset } = await t.project.client.request(CreateDataset, { input: { name: `sweep-${randomBytes(3).toString('hex')}` } });
    const single = Buffer.from('{"input":{"q":1}}\n');
    const grant = async (sizeBytes: number) =>
      (await t.project.client.request(CreateDatasetUpload, { input: { datasetId: createDataset.id, format: 'JSONL', sizeBytes } })).createDatasetUpload;
    const put = await grant(single.length);
    expect((await fetch(put.url!, { method: 'PUT', headers: put.headers as Record<string, string>, body: single })).status).toBe(200);
    const multipart = await grant(20 * 1024 ** 2);
    const recent = await grant(single.length);
    await age('dataset_versions', rowId(put.datasetVersion.id));
    await age('dataset_versions', rowId(multipart.datasetVersion.id));
    const [{ blob_key: putKey }] = await t.lab.database.sql<{ blob_key: string }[]>`select blob_key from dataset_versions where id = ${rowId(put.datasetVersion.id)}`;
    const firstPart = await fetch(multipart.parts![0]!.url, { method: 'PUT', body: Buffer.alloc(multipart.partSizeBytes!) });
    expect(firstPart.status).toBe(200);
    expect(await t.lab.blobs.head(putKey!)).not.toBeNull();

    const job = abandonedDatasetUploadsJob(t.lab.services.datasets, logger);
    expect(await job.runOnce()).toBe(false); // fewer than a batch: nothing more to do now

    for (const abandoned of [put, multipart]) {
      const { node } = await t.project.client.request(GetDatasetVersion, { id: abandoned.datasetVersion.id });
      expect(node).toMatchObject({ status: 'FAILED', errors: [{ line: 0, message: expect.stringContaining('start a new one with createDatasetUpload') }] });
    }
    expect(await t.lab.blobs.head(putKey!)).toBeNull();
    if (kind === 'local') {
      // The open multipart upload is gone with its parts: its other part URLs now find nothing to add to
      // (s3rver cannot abort; real S3 and the local store can).
      const secondPart = await fetch(multipart.parts![1]!.url, { method: 'PUT', body: Buffer.alloc(multipart.partSizeBytes!) });
      expect(secondPart.status).not.toBe(200);
    }
    // A completion arriving after the sweep finds the version settled.
    const late = await t.project.client.request(CompleteDatasetUpload, { datasetVersionId: put.datasetVersion.id });
    expect(late.completeDatasetUpload.status).toBe('FAILED');
    const { node } = await t.project.client.request(GetDatasetVersion, { id: recent.datasetVersion.id });
    expect(node && 'status' in node && node.status).toBe('AWAITING_UPLOAD');
  });

  it('removes artifacts never completed, with their bytes, and leaves recent ones alone', async () => {
    const { createExperiment } = await t.project.client.request(CreateExperiment, { input: { name: 'sweep' } });
    const [run] = await t.lab.database.sql<{ id: string }[]>`
      insert into runs (project_id, experiment_id, status, prompt_version_ids, model_ids)
      values (${t.project.projectId}, ${rowId(createExperiment.id)}, 'SUCCEEDED', '{}', '{}') returning id`;
    const runId = toGlobalId('Run', run!.id);
    const bytes = Buffer.from('partial results');
    const start = async (name: string) =>
      (await t.project.client.request(CreateArtifactUpload, { input: { runId, name, contentType: 'text/plain', sizeBytes: bytes.length } })).createArtifactUpload;
    const old = await start('old.txt');
    await fetch(old.url, { method: 'PUT', headers: old.headers as Record<string, string>, body: bytes });
    const recent = await start('recent.txt');
    await age('artifacts', rowId(old.artifact.id));

    const job = abandonedArtifactUploadsJob(t.lab.services.artifacts, logger);
    await job.runOnce();
    const left = await t.lab.database.sql<{ id: string; name: string }[]>`select id, name from artifacts where run_id = ${run!.id}`;
    expect(left).toEqual([{ id: rowId(recent.artifact.id), name: 'recent.txt' }]);
    const key = `projects/${t.project.projectId}/runs/${run!.id}/artifacts/${rowId(old.artifact.id)}`;
    expect(await t.lab.blobs.head(key)).toBeNull();
  });
});
