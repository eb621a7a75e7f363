import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useMutation, useQuery } from 'urql';
import { ErrorNotice } from '../components/ErrorNotice';
import { Empty, Loading } from '../components/States';
import { StatusBadge } from '../components/StatusBadge';
import { formatDate, formatJson, formatNumber } from '../format';
import { graphql } from '../gql';
import { DATASETS } from '../typenames';
import { useCan } from '../session';
import { UploadDropzone } from './UploadDropzone';

const DatasetsDocument = graphql(`
  query ConsoleDatasets {
    datasets(first: 100) {
      totalCount
      nodes {
        id
        name
        createdAt
        latestVersion {
          version
          rowCount
        }
      }
    }
  }
`);

const DatasetDocument = graphql(`
  query ConsoleDataset($id: ID!) {
    dataset(id: $id) {
      id
      name
      description
      versions(first: 20) {
        nodes {
          id
          version
          status
          format
          rowCount
          sizeBytes
          createdAt
          columns
          errors {
            line
            message
          }
        }
      }
    }
  }
`);

const PreviewDocument = graphql(`
  query ConsoleDatasetPreview($id: ID!) {
    node(id: $id) {
      id
      ... on DatasetVersion {
        columns
        preview(limit: 10) {
          index
          input
          expected
        }
      }
    }
  }
`);

const CreateDatasetDocument = graphql(`
  mutation ConsoleCreateDataset($input: CreateDatasetInput!) {
    createDataset(input: $input) {
      id
    }
  }
`);

export function DatasetsPage() {
  const { id } = useParams();
  const [{ data, fetching, error }, refetchList] = useQuery({ query: DatasetsDocument, context: DATASETS });
  const canCreate = useCan('RESEARCHER');
  return (
    <section className="split">
      <div>
        <h1>Datasets</h1>
        {error && <ErrorNotice error={error} />}
        {!data && fetching && <Loading what="datasets" />}
        {data && data.datasets.nodes.length === 0 && <Empty>No dataset yet.</Empty>}
        <ul className="list">
          {data?.datasets.nodes.map((d) => (
            <li key={d.id} className={d.id === id ? 'open' : undefined}>
              <Link to={`/datasets/${d.id}`}>{d.name}</Link>{' '}
              <span className="muted">{d.latestVersion ? `v${d.latestVersion.version}, ${formatNumber(d.latestVersion.rowCount)} rows` : 'no READY version'}</span>
            </li>
          ))}
        </ul>
        {canCreate && <CreateDatasetForm />}
      </div>
      <div>{id ? <DatasetDetail id={id} onVersionSettled={() => refetchList({ requestPolicy: 'network-only' })} /> : <Empty>Choose a dataset.</Empty>}</div>
    </section>
  );
}

function CreateDatasetForm() {
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [{ fetching, error }, create] = useMutation(CreateDatasetDocument);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await create({ input: { name } });
    if (result.data) {
      setName('');
      navigate(`/datasets/${result.data.createDataset.id}`);
    }
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="new-dataset">
      <h2 id="new-dataset">New dataset</h2>
      <label>
        Name
        <input required value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      {error && <ErrorNotice error={error} />}
      <button type="submit" disabled={fetching}>
        Create dataset
      </button>
    </form>
  );
}

/** `onVersionSettled`: an upload ended READY or FAILED (the worker settles it, so no mutation tells the list). */
function DatasetDetail({ id, onVersionSettled }: { id: string; onVersionSettled(): void }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: DatasetDocument, variables: { id }, context: DATASETS });
  const canUpload = useCan('RESEARCHER');
  const [previewId, setPreviewId] = useState<string | null>(null);
  if (error) return <ErrorNotice error={error} />;
  if (!data && fetching) return <Loading what="the dataset" />;
  const dataset = data?.dataset;
  if (!dataset) return <Empty>No such dataset.</Empty>;
  const versions = dataset.versions.nodes;
  const shownPreview = previewId ?? versions.find((v) => v.status === 'READY')?.id ?? null;

  return (
    <div>
      <h2>{dataset.name}</h2>
      {canUpload && <UploadDropzone
          datasetId={dataset.id}
          onSettled={() => {
            refetch({ requestPolicy: 'network-only' });
            onVersionSettled();
          }}
        />}
      <h3>Versions</h3>
      {versions.length === 0 ? (
        <Empty>No version yet{canUpload ? ': drop a file above' : ''}.</Empty>
      ) : (
        <table data-testid="dataset-versions">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
              <th scope="col">Format</th>
              <th scope="col">Rows</th>
              <th scope="col">Uploaded</th>
              <th scope="col">Preview</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.id}>
                <td>v{v.version}</td>
                <td>
                  <StatusBadge status={v.status} />
                  {v.errors.length > 0 && (
                    <ul className="row-errors" aria-label={`Errors of version ${v.version}`}>
                      {v.errors.map((e) => (
                        <li key={e.line}>
                          line {e.line}: {e.message}
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
                <td>{v.format}</td>
                <td>{formatNumber(v.rowCount)}</td>
                <td>{formatDate(v.createdAt)}</td>
                <td>
                  {v.status === 'READY' && (
                    <button type="button" onClick={() => setPreviewId(v.id)} aria-pressed={v.id === shownPreview}>
                      Preview v{v.version}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {shownPreview && <DatasetPreview versionId={shownPreview} />}
    </div>
  );
}

function DatasetPreview({ versionId }: { versionId: string }) {
  const [{ data, error }] = useQuery({ query: PreviewDocument, variables: { id: versionId } });
  if (error) return <ErrorNotice error={error} />;
  const rows = data?.node && 'preview' in data.node ? data.node.preview : [];
  return (
    <>
      <h3>First rows</h3>
      <table data-testid="dataset-preview">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Input</th>
            <th scope="col">Expected</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.index}>
              <td>{r.index}</td>
              <td>
                <code>{formatJson(r.input)}</code>
              </td>
              <td>
                <code>{r.expected == null ? '—' : formatJson(r.expected)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
