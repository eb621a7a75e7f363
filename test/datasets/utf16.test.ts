import { describe, expect, it } from 'vitest';
import type { GraphQLClient } from 'graphql-request';
import { pino } from 'pino';
import { useTestLab } from '../helpers/lab.js';
import { CompleteDatasetUpload, CreateDataset, CreateDatasetUpload, GetDatasetVersion } from '../helpers/operations.js';
import { validateDataset } from '../../src/modules/datasets/dataset-validation.js';
import { DatasetsRepo } from '../../src/modules/datasets/datasets.repo.js';
import { DatasetValidationJob, MAX_VALIDATION_ATTEMPTS } from '../../src/modules/datasets/dataset-validation.job.js';

const rows = [{ input: { q: 'What is 1 + 1?' }, expected: '2' }, { input: { q: 'And 2 + 2?' }, expected: '4' }];
const jsonlText = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const csvText = 'q,expected\nWhat is 1 + 1?,2\nAnd 2 + 2?,4\n';

/** UTF-16 as Windows tools save it: little-endian with a byte order mark, or big-endian, or without a mark. */
const utf16le = (text: string, bom = true) => Buffer.concat([bom ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0), Buffer.from(text, 'utf16le')]);
const utf16be = (text: string) => {
  const le = Buffer.from(text, 'utf16le');
  for (let i = 0; i < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1]!, le[i]!];
  return Buffer.concat([Buffer.from([0xfe, 0xff]), le]);
};

/** Uploads like a client would and waits for the version to settle; the version as the API shows it, and the attempts it took. */
async function uploadAndSettle(t: ReturnType<typeof useTestLab>, client: GraphQLClient, format: 'JSONL' | 'CSV', file: Buffer) {
  const { createDataset } = await client.request(CreateDataset, { input: { name: `utf16-${Math.random().toString(36).slice(2)}` } });
  const { createDatasetUpload: grant } = await client.request(CreateDatasetUpload, {
    input: { datasetId: createDataset.id, format, sizeBytes: file.length, sha256: null },
  });
  const put = await fetch(grant.url!, { method: 'PUT', headers: { ...(grant.headers as Record<string, string>), 'Content-Length': String(file.length) }, body: file });
  expect(put.ok).toBe(true);
  await client.request(CompleteDatasetUpload, { datasetVersionId: grant.datasetVersion.id, parts: null });
  const deadline = Date.now() + 45_000;
  for (;;) {
    const { node } = await client.request(GetDatasetVersion, { id: grant.datasetVersion.id, previewLimit: 1 });
    if (node && 'status' in node && (node.status === 'READY' || node.status === 'FAILED')) {
      const uuid = Buffer.from(grant.datasetVersion.id, 'base64url').toString().replace(/^DatasetVersion:/, '');
      const [row] = await t.lab.database.sql<{ validation_attempts: number }[]>`
        select validation_attempts from dataset_versions where id = ${uuid}`;
      return { version: node, attempts: row!.validation_attempts };
    }
    if (Date.now() > deadline) throw new Error(`the version did not settle: ${JSON.stringify(node)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a dataset file saved as UTF-16', () => {
  const t = useTestLab('RESEARCHER', { worker: true });

  it.each([
    ['JSONL, little-endian with a byte order mark', 'JSONL', utf16le(jsonlText)],
    ['JSONL, big-endian with a byte order mark', 'JSONL', utf16be(jsonlText)],
    ['JSONL, little-endian without a byte order mark', 'JSONL', utf16le(jsonlText, false)],
    ['CSV, little-endian with a byte order mark', 'CSV', utf16le(csvText)],
    ['CSV, little-endian without a byte order mark', 'CSV', utf16le(csvText, false)],
  ] as const)('%s fails on the first attempt, saying on line 1 that it is not UTF-8', async (_, format, file) => {
    const { version, attempts } = await uploadAndSettle(t, t.project.client, format, file);
    expect(version.status).toBe('FAILED');
    expect(attempts).toBe(1);
    expect(version.errors[0]).toMatchObject({ line: 1 });
    expect(version.errors[0]!.message).toMatch(/^line 1: .*not UTF-8/);
    expect(version.errors[0]!.message).toContain('UTF-16');
    expect(JSON.stringify(version)).not.toContain('\\u0000');
    expect(version.errors.map((e) => e.message).join('\n')).not.toContain('could not be read');
  });

  it('still reads a UTF-8 file with a byte order mark', async () => {
    const file = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(jsonlText)]);
    const { version, attempts } = await uploadAndSettle(t, t.project.client, 'JSONL', file);
    expect(version).toMatchObject({ status: 'READY', rowCount: 2, errors: [] });
    expect(attempts).toBe(1);
  });

  it.each([
    ['JSONL, a line that starts with NUL', 'JSONL', '{"input":{"q":"fine"}}\n\u0000{"input":{"q":"x"}}\n'],
    ['JSONL, a NUL inside a string', 'JSONL', '{"input":{"q":"fine"}}\n{"input":{"q":"x\u0000y"}}\n'],
    ['CSV, a NUL in a header name', 'CSV', 'question\u0000,expected\nWhat?,2\n'],
    ['CSV, a NUL in a field', 'CSV', 'q,expected\nWhat?,2\nx\u0000y,3\n'],
  ] as const)('records a NUL byte in a UTF-8 file as a problem of its line, on the first attempt (%s)', async (_, format, text) => {
    const { version, attempts } = await uploadAndSettle(t, t.project.client, format, Buffer.from(text));
    expect(version.status).toBe('FAILED');
    expect(attempts).toBe(1);
    const line = text.slice(0, text.indexOf('\u0000')).split('\n').length;
    expect(version.errors.map((e) => e.message)).toContainEqual(expect.stringMatching(new RegExp(`^line ${line}: .*NUL byte`)));
    expect(JSON.stringify(version)).not.toContain('\\u0000');
  });
});

describe('the UTF-16 check, whatever the chunks', () => {
  const oneByteAtATime = async function* (bytes: Buffer) {
    for (const byte of bytes) yield Buffer.from([byte]);
  };

  it.each(['JSONL', 'CSV'] as const)('%s: gives one problem on line 1 when the file arrives a byte at a time', async (format) => {
    const result = await validateDataset(oneByteAtATime(utf16le(format === 'JSONL' ? jsonlText : csvText)), format, { maxRowBytes: 1024 });
    expect(result.errors).toEqual([{ line: 1, message: expect.stringMatching(/^line 1: the file is UTF-16 encoded .*not UTF-8/) }]);
    expect(result).toMatchObject({ errorCount: 1, rowCount: 0, columns: [] });
  });

  it('reads a one-byte UTF-8 file as before', async () => {
    const result = await validateDataset(oneByteAtATime(Buffer.from('x')), 'CSV', { maxRowBytes: 1024 });
    expect(result.errors[0]!.message).toMatch(/header row but no data rows/);
  });
});

describe('a validation result the database cannot record', () => {
  const t = useTestLab('RESEARCHER', { isolated: true });

  /** A repo whose every attempt to record a result fails, as when the database refuses the write. */
  function failingRecords(repo: DatasetsRepo) {
    let refused = 0;
    const wrapped = Object.create(repo) as DatasetsRepo;
    wrapped.finishValidation = async () => {
      refused++;
      throw new Error('connection terminated unexpectedly');
    };
    return { wrapped, refused: () => refused };
  }

  it('is retried as an infrastructure failure and never reported as an unreadable file', async () => {
    const repo = new DatasetsRepo(t.lab.database.db);
    const { wrapped, refused } = failingRecords(repo);
    const job = new DatasetValidationJob(wrapped, t.lab.blobs, 1024 ** 2, pino({ level: 'silent' }));
    const file = Buffer.from(jsonlText);
    const [dataset] = await t.lab.database.sql<{ id: string }[]>`
      insert into datasets (project_id, name) values (${t.project.projectId}, 'record-fails') returning id`;
    const key = `test/${dataset!.id}.jsonl`;
    await t.lab.blobs.put(key, file, 'application/x-ndjson');
    const [inserted] = await t.lab.database.sql<{ id: string }[]>`
      insert into dataset_versions (project_id, dataset_id, version, status, format, blob_key, size_bytes, validation_attempts)
      values (${t.project.projectId}, ${dataset!.id}, 1, 'VALIDATING', 'JSONL', ${key}, ${file.length}, ${MAX_VALIDATION_ATTEMPTS - 2})
      returning id`;
    const id = inserted!.id;
    const state = async () =>
      (await t.lab.database.sql<{ status: string; lease_until: string | null; errors: { message: string }[] }[]>`
        select status, lease_until, errors from dataset_versions where id = ${id}`)[0]!;

    for (let attempt = MAX_VALIDATION_ATTEMPTS - 1; attempt <= MAX_VALIDATION_ATTEMPTS; attempt++) {
      expect(await job.runOnce()).toBe(true);
      const seen = await state();
      // Handed back to the queue for a later attempt, never failed as the file's fault.
      expect(seen.status).toBe('VALIDATING');
      expect(Date.parse(seen.lease_until!)).toBeGreaterThan(Date.now());
      await t.lab.database.sql`update dataset_versions set lease_until = null where id = ${id}`;
    }
    expect(refused()).toBe(2);

    // Once the attempts are spent, the version fails without blaming the file; the real repo records it.
    const recording = new DatasetValidationJob(repo, t.lab.blobs, 1024 ** 2, pino({ level: 'silent' }));
    expect(await recording.runOnce()).toBe(true);
    const failed = await state();
    expect(failed.status).toBe('FAILED');
    expect(failed.errors[0]!.message).not.toContain('could not be read');
    expect(failed.errors[0]!.message).toContain(`did not finish after ${MAX_VALIDATION_ATTEMPTS} attempts`);
  });
});
