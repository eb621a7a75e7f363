import { useEffect } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery } from 'urql';
import { ErrorNotice } from '../components/ErrorNotice';
import { ProgressBar } from '../components/ProgressBar';
import { Empty, Loading } from '../components/States';
import { StatusBadge } from '../components/StatusBadge';
import { formatDate, formatNumber, formatUsd } from '../format';
import { graphql } from '../gql';
import { EXPERIMENTS } from '../typenames';
import { LIVE_RUN_STATUSES } from '../run-status';
import { useCan } from '../session';
import { StartRunForm } from './StartRunForm';

const ExperimentDocument = graphql(`
  query ConsoleExperiment($id: ID!) {
    experiment(id: $id) {
      id
      name
      description
      hypothesis
      tags
      runs(first: 50) {
        totalCount
        nodes {
          id
          status
          createdAt
          repetitions
          evaluators {
            name
          }
          progress {
            total
            succeeded
            failed
            cancelled
            fraction
          }
          usage {
            promptTokens
            completionTokens
            costUsd
          }
          metrics {
            name
            mean
            count
          }
        }
      }
    }
  }
`);

export function ExperimentPage() {
  const { id = '' } = useParams();
  const [{ data, fetching, error }, refetch] = useQuery({ query: ExperimentDocument, variables: { id }, context: EXPERIMENTS });
  const canStart = useCan('RESEARCHER');
  const hasLiveRun = data?.experiment?.runs.nodes.some((run) => LIVE_RUN_STATUSES.includes(run.status)) ?? false;
  // The list shows each run's progress; while one is live it is read again every few seconds (a run page streams instead).
  useEffect(() => {
    if (!hasLiveRun) return;
    const timer = setInterval(() => refetch({ requestPolicy: 'network-only' }), 3_000);
    return () => clearInterval(timer);
  }, [hasLiveRun, refetch]);

  if (error) return <ErrorNotice error={error} />;
  if (!data && fetching) return <Loading what="the experiment" />;
  const experiment = data?.experiment;
  if (!experiment) return <Empty>No such experiment.</Empty>;
  const runs = experiment.runs.nodes;

  return (
    <section>
      <p className="crumbs">
        <Link to="/experiments">Experiments</Link> /
      </p>
      <h1>{experiment.name}</h1>
      {experiment.hypothesis && <p className="hypothesis">Hypothesis: {experiment.hypothesis}</p>}
      {experiment.description && <p>{experiment.description}</p>}
      <p>{experiment.tags.map((t) => <span key={t} className="tag">{t}</span>)}</p>

      <h2>Runs ({experiment.runs.totalCount})</h2>
      {runs.length === 0 ? (
        <Empty>No runs yet.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Status</th>
              <th scope="col">Progress</th>
              <th scope="col">Tasks ok / failed / cancelled</th>
              <th scope="col">Tokens in / out</th>
              <th scope="col">Cost</th>
              <th scope="col">Headline metrics (mean)</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => {
              const headline = new Set(run.evaluators.map((e) => e.name));
              return (
                <tr key={run.id}>
                  <td>
                    <Link to={`/runs/${run.id}`}>{formatDate(run.createdAt)}</Link>
                  </td>
                  <td>
                    <StatusBadge status={run.status} />
                  </td>
                  <td>
                    <ProgressBar fraction={run.progress.fraction} label={`Progress of the run of ${formatDate(run.createdAt)}`} />
                  </td>
                  <td>
                    {run.progress.succeeded} / {run.progress.failed} / {run.progress.cancelled} of {run.progress.total}
                  </td>
                  <td>
                    {formatNumber(run.usage.promptTokens)} / {formatNumber(run.usage.completionTokens)}
                  </td>
                  <td>{formatUsd(run.usage.costUsd)}</td>
                  <td>
                    {run.metrics
                      .filter((m) => headline.has(m.name))
                      .map((m) => (
                        <span key={m.name} className="metric">
                          {m.name} {formatNumber(m.mean)}
                        </span>
                      ))}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {runs.length >= 2 && (
        <p>
          <Link to={`/compare?baseline=${runs[1]!.id}&candidate=${runs[0]!.id}`}>Compare the two newest runs</Link>
        </p>
      )}
      {canStart && <StartRunForm experimentId={experiment.id} onStarted={() => refetch({ requestPolicy: 'network-only' })} />}
    </section>
  );
}
