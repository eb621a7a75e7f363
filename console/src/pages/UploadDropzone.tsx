import { useState, type DragEvent } from 'react';
import { useClient, useMutation, type CombinedError } from 'urql';
import { ErrorNotice, type ShownError } from '../components/ErrorNotice';
import { ProgressBar } from '../components/ProgressBar';
import { graphql } from '../gql';
import type { DatasetFormat } from '../gql/graphql';
import { putWithProgress } from '../upload';

const CreateUploadDocument = graphql(`
  mutation ConsoleCreateDatasetUpload($input: CreateDatasetUploadInput!) {
    createDatasetUpload(input: $input) {
      url
      headers
      partSizeBytes
      parts {
        partNumber
        url
      }
      datasetVersion {
        id
        version
      }
    }
  }
`);

const CompleteUploadDocument = graphql(`
  mutation ConsoleCompleteDatasetUpload($id: ID!, $parts: [CompletedPartInput!]) {
    completeDatasetUpload(datasetVersionId: $id, parts: $parts) {
      id
      status
    }
  }
`);

const VersionStatusDocument = graphql(`
  query ConsoleDatasetVersionStatus($id: ID!) {
    node(id: $id) {
      id
      ... on DatasetVersion {
        status
        rowCount
      }
    }
  }
`);

type Phase = { kind: 'idle' } | { kind: 'uploading'; loaded: number; total: number } | { kind: 'validating' } | { kind: 'done'; message: string };

function formatOf(name: string): DatasetFormat | null {
  if (/\.jsonl$/i.test(name)) return 'JSONL';
  if (/\.csv$/i.test(name)) return 'CSV';
  return null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Drop a file (or choose one): it goes straight to the presigned URL(s), then the lab validates it. */
export function UploadDropzone({ datasetId, onSettled }: { datasetId: string; onSettled(): void }) {
  const client = useClient();
  const [, createUpload] = useMutation(CreateUploadDocument);
  const [, completeUpload] = useMutation(CompleteUploadDocument);
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const [error, setError] = useState<CombinedError | ShownError | null>(null);
  const [dragging, setDragging] = useState(false);

  const upload = async (file: File) => {
    setError(null);
    const format = formatOf(file.name);
    if (!format) {
      setError({ message: `${file.name}: name the file .jsonl or .csv so the lab knows how to read it.` });
      return;
    }
    setPhase({ kind: 'uploading', loaded: 0, total: file.size });
    const grant = await createUpload({ input: { datasetId, format, sizeBytes: file.size } });
    if (!grant.data) {
      setError(grant.error ?? { message: 'The upload could not be started.' });
      setPhase({ kind: 'idle' });
      return;
    }
    const { url, headers, parts, partSizeBytes, datasetVersion } = grant.data.createDatasetUpload;
    const signed = headers as Record<string, string>;
    try {
      let completed: { partNumber: number; etag: string }[] | null = null;
      if (url) {
        await putWithProgress(url, file, signed, (loaded) => setPhase({ kind: 'uploading', loaded, total: file.size }));
      } else {
        completed = [];
        for (const part of parts ?? []) {
          const start = (part.partNumber - 1) * partSizeBytes!;
          const etag = await putWithProgress(part.url, file.slice(start, start + partSizeBytes!), signed, (loaded) =>
            setPhase({ kind: 'uploading', loaded: start + loaded, total: file.size }),
          );
          completed.push({ partNumber: part.partNumber, etag: etag ?? '' });
        }
      }
      setPhase({ kind: 'validating' });
      const done = await completeUpload({ id: datasetVersion.id, parts: completed });
      if (!done.data) throw done.error;
      let status = done.data.completeDatasetUpload.status;
      while (status === 'VALIDATING' || status === 'AWAITING_UPLOAD') {
        await sleep(500);
        const read = await client.query(VersionStatusDocument, { id: datasetVersion.id }, { requestPolicy: 'network-only' }).toPromise();
        if (read.error) throw read.error;
        status = read.data?.node && 'status' in read.data.node ? read.data.node.status : 'FAILED';
      }
      setPhase({ kind: 'done', message: status === 'READY' ? `Version ${datasetVersion.version} is READY.` : `Version ${datasetVersion.version} is ${status}: see its errors below.` });
    } catch (err) {
      setError(err && typeof err === 'object' && 'graphQLErrors' in err ? (err as CombinedError) : { message: (err as Error).message });
      setPhase({ kind: 'idle' });
    }
    onSettled();
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer.files[0];
    if (file) void upload(file);
  };

  const busy = phase.kind === 'uploading' || phase.kind === 'validating';
  return (
    <div
      className={dragging ? 'dropzone dragging' : 'dropzone'}
      data-testid="dropzone"
      onDragOver={(e) => (e.preventDefault(), setDragging(true))}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <p>Drop a .jsonl or .csv file here to upload a new version, or</p>
      <label className="button">
        choose a file
        <input
          type="file"
          className="visually-hidden"
          accept=".jsonl,.csv"
          disabled={busy}
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void upload(file);
            e.target.value = '';
          }}
        />
      </label>
      {phase.kind === 'uploading' && <ProgressBar fraction={phase.total ? phase.loaded / phase.total : 1} label="Upload progress" />}
      {phase.kind === 'validating' && <p role="status">Uploaded; the lab is validating the rows…</p>}
      {phase.kind === 'done' && <p role="status">{phase.message}</p>}
      {error && <ErrorNotice error={error} title="Upload" />}
    </div>
  );
}
