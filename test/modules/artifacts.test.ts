import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/common/global-id.js';
import { graphqlError, useTestLab, type TestLab, type TestProject } from '../helpers/lab.js';
import { CompleteArtifactUpload, CreateArtifactUpload, CreateExperiment, RunArtifacts } from '../helpers/operations.js';

/** A run to hang artifacts on; inserted directly, as startRun arrives with the run engine. */
async function seedRun(lab: TestLab, project: TestProject): Promise<string> {
  const { createExperiment } = await project.client.request(CreateExperiment, { input: { name: 'with artifacts' } });
  const experimentId = Buffer.from(createExperiment.id, 'base64url').toString().split(':')[1]!;
  const [run] = await lab.database.sql<{ id: string }[]>`
    insert into runs (project_id, experiment_id, status, prompt_version_ids, model_ids)
    values (${project.projectId}, ${experimentId}, 'SUCCEEDED', '{}', '{}') returning id`;
  return toGlobalId('Run', run!.id);
}

describe.each(['local', 's3'] as const)('artifacts on the %s blob store', (kind) => {
  const t = useTestLab('RESEARCHER', { blobs: kind });

  it('uploads through a presigned PUT, lists the artifact on its run once complete, and serves the same bytes', async () => {
    const runId = await seedRun(t.lab, t.project);
    const bytes = randomBytes(70_000);
    const { createArtifactUpload: grant } = await t.project.client.request(CreateArtifactUpload, {
      input: { runId, name: 'plot.png', contentType: 'image/png', sizeBytes: bytes.length },
    });
    expect((await t.project.client.request(RunArtifacts, { id: runId })).run?.artifacts).toEqual([]);
    const put = await fetch(grant.url, { method: 'PUT', headers: grant.headers as Record<string, string>, body: bytes });
    expect(put.status).toBe(200);

    const { completeArtifactUpload: artifact } = await t.project.client.request(CompleteArtifactUpload, { artifactId: grant.artifact.id });
    expect(artifact).toMatchObject({ name: 'plot.png', sizeBytes: bytes.length, run: { id: runId } });
    const download = await fetch(artifact.downloadUrl);
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
    expect(download.headers.get('content-type')).toBe('image/png');

    const { run } = await t.project.client.request(RunArtifacts, { id: runId });
    expect(run?.artifacts.map((a) => [a.name, a.contentType, a.sizeBytes])).toEqual([['plot.png', 'image/png', bytes.length]]);
  });

  it('refuses completion before the bytes arrive, a duplicate name, and a bad content type', async () => {
    const runId = await seedRun(t.lab, t.project);
    const input = { runId, name: 'results.jsonl', contentType: 'application/x-ndjson', sizeBytes: 10 };
    const { createArtifactUpload: grant } = await t.project.client.request(CreateArtifactUpload, { input });
    const early = await graphqlError(t.project.client.request(CompleteArtifactUpload, { artifactId: grant.artifact.id }));
    expect(early.code).toBe('BAD_USER_INPUT');
    expect(early.message).toContain('No file has been uploaded');
    expect((await graphqlError(t.project.client.request(CreateArtifactUpload, { input }))).code).toBe('CONFLICT');
    const badType = await graphqlError(t.project.client.request(CreateArtifactUpload, { input: { ...input, name: 'x', contentType: 'not a type' } }));
    expect(badType.message).toContain('contentType must be a MIME type');
    const slash = await graphqlError(t.project.client.request(CreateArtifactUpload, { input: { ...input, name: '../x' } }));
    expect(slash.message).toContain('name must not contain "/"');
  });

  it('keeps another project\'s run NOT_FOUND', async () => {
    const other = await t.lab.newProject('RESEARCHER');
    const theirRun = await seedRun(t.lab, other);
    const error = await graphqlError(
      t.project.client.request(CreateArtifactUpload, { input: { runId: theirRun, name: 'x', contentType: 'text/plain', sizeBytes: 1 } }),
    );
    expect(error.code).toBe('NOT_FOUND');
  });
});
