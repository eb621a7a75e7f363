import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { useMutation, useQuery } from 'urql';
import { ErrorNotice } from '../components/ErrorNotice';
import { Pager } from '../components/Pager';
import { ProgressBar } from '../components/ProgressBar';
import { Empty, Loading } from '../components/States';
import { StatusBadge } from '../components/StatusBadge';
import { formatDate } from '../format';
import { graphql } from '../gql';
import { EXPERIMENTS } from '../typenames';
import { useCan } from '../session';

const PAGE_SIZE = 20;

const ExperimentsDocument = graphql(`
  query ConsoleExperiments($first: Int, $after: String, $search: String, $tags: [String!]) {
    experiments(first: $first, after: $after, search: $search, tags: $tags) {
      totalCount
      nodes {
        id
        name
        tags
        runCount
        createdAt
        latestRun {
          id
          status
          progress {
            fraction
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const CreateExperimentDocument = graphql(`
  mutation ConsoleCreateExperiment($input: CreateExperimentInput!) {
    createExperiment(input: $input) {
      id
    }
  }
`);

const splitTags = (text: string) =>
  text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

export function ExperimentsPage() {
  const [search, setSearch] = useState('');
  const [tagText, setTagText] = useState('');
  const [history, setHistory] = useState<(string | null)[]>([]);
  const tags = splitTags(tagText);
  const [{ data, fetching, error }] = useQuery({
    query: ExperimentsDocument,
    context: EXPERIMENTS,
    variables: { first: PAGE_SIZE, after: history.at(-1) ?? null, search: search.trim() || null, tags: tags.length ? tags : null },
  });
  const canCreate = useCan('RESEARCHER');

  return (
    <section>
      <h1>Experiments</h1>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input type="search" value={search} onChange={(e) => (setSearch(e.target.value), setHistory([]))} />
        </label>
        <label>
          Tags (comma-separated, all must match)
          <input value={tagText} onChange={(e) => (setTagText(e.target.value), setHistory([]))} />
        </label>
      </form>
      {error && <ErrorNotice error={error} />}
      {!data && fetching && <Loading what="experiments" />}
      {data && data.experiments.nodes.length === 0 && <Empty>No experiment matches. {canCreate && 'Create one below.'}</Empty>}
      {data && data.experiments.nodes.length > 0 && (
        <>
          <p className="muted">{data.experiments.totalCount} experiments</p>
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Tags</th>
                <th scope="col">Runs</th>
                <th scope="col">Latest run</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {data.experiments.nodes.map((experiment) => (
                <tr key={experiment.id}>
                  <td>
                    <Link to={`/experiments/${experiment.id}`}>{experiment.name}</Link>
                  </td>
                  <td>{experiment.tags.map((t) => <span key={t} className="tag">{t}</span>)}</td>
                  <td>{experiment.runCount}</td>
                  <td>
                    {experiment.latestRun ? (
                      <span className="inline">
                        <StatusBadge status={experiment.latestRun.status} />
                        <ProgressBar fraction={experiment.latestRun.progress.fraction} label={`Progress of the latest run of ${experiment.name}`} />
                      </span>
                    ) : (
                      <span className="muted">none</span>
                    )}
                  </td>
                  <td>{formatDate(experiment.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager history={history} endCursor={data.experiments.pageInfo.endCursor} hasNextPage={data.experiments.pageInfo.hasNextPage} onPage={setHistory} />
        </>
      )}
      {canCreate && <CreateExperimentForm />}
    </section>
  );
}

function CreateExperimentForm() {
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [hypothesis, setHypothesis] = useState('');
  const [tags, setTags] = useState('');
  const [{ fetching, error }, create] = useMutation(CreateExperimentDocument);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await create({ input: { name, hypothesis: hypothesis || null, tags: splitTags(tags) } });
    if (result.data) navigate(`/experiments/${result.data.createExperiment.id}`);
  };

  return (
    <form className="card" onSubmit={submit} aria-labelledby="new-experiment">
      <h2 id="new-experiment">New experiment</h2>
      <label>
        Name
        <input required value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        Hypothesis
        <textarea rows={2} value={hypothesis} onChange={(e) => setHypothesis(e.target.value)} />
      </label>
      <label>
        Tags (comma-separated)
        <input value={tags} onChange={(e) => setTags(e.target.value)} />
      </label>
      {error && <ErrorNotice error={error} />}
      <button type="submit" disabled={fetching}>
        Create experiment
      </button>
    </form>
  );
}
