import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useMutation, useQuery } from 'urql';
import { ErrorNotice } from '../components/ErrorNotice';
import { ProgressBar } from '../components/ProgressBar';
import { Empty, Loading } from '../components/States';
import { StatusBadge } from '../components/StatusBadge';
import { formatDate, formatNumber, formatSeconds, formatUsd } from '../format';
import { graphql } from '../gql';
import type { ConsoleRunQuery, TaskStatus } from '../gql/graphql';
import { useRunEvents, type LiveTask } from '../live/useRunEvents';
import { LIVE_RUN_STATUSES } from '../run-status';
import { useCan } from '../session';
import { MetricChart } from './MetricChart';
import { RunMetricsTable } from './RunMetricsTable';
import { TaskDetail } from './TaskDetail';
import { TaskTable } from './TaskTable';

const RunDocument = graphql(`
  query ConsoleRun($id: ID!) {
    run(id: $id) {
      id
      status
      error
      createdAt
      startedAt
      finishedAt
      repetitions
      experiment {
        id
        name
      }
      datasetVersion {
        id
        version
        dataset {
          id
          name
        }
      }
      models {
        id
        name
      }
      promptVersions {
        id
        version
        prompt {
          name
        }
      }
      evaluators {
        name
        kind
      }
      progress {
        total
        queued
        running
        succeeded
        failed
        cancelled
        fraction
        etaSeconds
      }
      usage {
        promptTokens
        completionTokens
        costUsd
      }
    }
  }
`);

const CancelRunDocument = graphql(`
  mutation ConsoleCancelRun($id: ID!) {
    cancelRun(id: $id) {
      id
      status
    }
  }
`);

const RetryRunDocument = graphql(`
  mutation ConsoleRetryRun($id: ID!) {
    retryRun(id: $id) {
      id
    }
  }
`);

export function RunPage() {
  const { id = '' } = useParams();
  const [{ data, fetching, error }] = useQuery({ query: RunDocument, variables: { id } });
  if (error) return <ErrorNotice error={error} />;
  if (!data && fetching) return <Loading what="the run" />;
  if (!data?.run) return <Empty>No such run.</Empty>;
  return <RunView run={data.run} key={data.run.id} />;
}

type Run = NonNullable<ConsoleRunQuery['run']>;

function RunView({ run }: { run: Run }) {
  const navigate = useNavigate();
  const stream = useRunEvents(run.id);
  const canAct = useCan('RESEARCHER');
  const [statusFilter, setStatusFilter] = useState<TaskStatus | 'ALL'>('ALL');
  const [openTaskId, setOpenTaskId] = useState<string | null>(null);
  const [cancelState, cancel] = useMutation(CancelRunDocument);
  const [retryState, retry] = useMutation(RetryRunDocument);

  const status = stream.status ?? run.status;
  const progress = stream.progress ?? run.progress;
  const live = LIVE_RUN_STATUSES.includes(status);
  const usage = climbingUsage(run.usage, stream.tasks.values());

  const retryRun = async () => {
    const result = await retry({ id: run.id });
    if (result.data) navigate(`/runs/${result.data.retryRun.id}`);
  };

  return (
    <section>
      <p className="crumbs">
        <Link to="/experiments">Experiments</Link> / <Link to={`/experiments/${run.experiment.id}`}>{run.experiment.name}</Link> /
      </p>
      <h1>
        Run of {formatDate(run.createdAt)} <StatusBadge status={status} />
      </h1>
      <p className="muted">
        {run.datasetVersion.dataset.name} v{run.datasetVersion.version} × {run.promptVersions.map((p) => `${p.prompt.name} v${p.version}`).join(', ')} ×{' '}
        {run.models.map((m) => m.name).join(', ')} × {run.repetitions} repetition(s)
      </p>
      {(stream.error ?? run.error) && <ErrorNotice error={{ message: stream.error ?? run.error ?? '' }} title="The run failed" />}
      {stream.streamError && <ErrorNotice error={stream.streamError} title="Live updates" />}
      {live && !stream.connected && (
        <p className="muted" role="status">
          Connecting for live updates…
        </p>
      )}

      <div className="run-summary" data-testid="run-progress">
        <ProgressBar fraction={progress.fraction} label="Run progress" />
        <dl className="counts">
          <div>
            <dt>ETA</dt>
            <dd>{live ? formatSeconds(progress.etaSeconds) : 'ended'}</dd>
          </div>
          {(['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const).map((key) => (
            <div key={key}>
              <dt>{key}</dt>
              <dd data-testid={`count-${key}`}>{progress[key]}</dd>
            </div>
          ))}
          <div>
            <dt>total</dt>
            <dd>{progress.total}</dd>
          </div>
          <div>
            <dt>cost</dt>
            <dd>{formatUsd(usage.costUsd)}</dd>
          </div>
          <div>
            <dt>tokens in / out</dt>
            <dd>
              {formatNumber(usage.promptTokens)} / {formatNumber(usage.completionTokens)}
            </dd>
          </div>
        </dl>
        {canAct && (
          <div className="actions">
            {(status === 'QUEUED' || status === 'RUNNING') && (
              <button type="button" className="danger" disabled={cancelState.fetching} onClick={() => cancel({ id: run.id })}>
                Cancel run
              </button>
            )}
            {!live && progress.succeeded < progress.total && (
              <button type="button" disabled={retryState.fetching} onClick={retryRun}>
                Retry unsucceeded tasks
              </button>
            )}
          </div>
        )}
        {cancelState.error && <ErrorNotice error={cancelState.error} />}
        {retryState.error && <ErrorNotice error={retryState.error} />}
      </div>

      <h2>Metrics</h2>
      <RunMetricsTable runId={run.id} refreshKey={`${status}:${Math.floor(progress.fraction * 10)}`} succeeded={progress.succeeded} />
      <MetricChart runId={run.id} live={live} metricNames={['latency_ms', ...run.evaluators.map((e) => e.name)]} models={run.models} />

      <h2>Tasks</h2>
      <TaskTable tasks={stream.tasks} total={progress.total} filter={statusFilter} onFilter={setStatusFilter} onOpen={setOpenTaskId} openTaskId={openTaskId} />
      {openTaskId && <TaskDetail taskId={openTaskId} onClose={() => setOpenTaskId(null)} />}
    </section>
  );
}

type Usage = Run['usage'];

/** Usage climbs as tasks end: the sum over the tasks streamed so far, or the run's own while the stream has less. */
function climbingUsage(loaded: Usage, tasks: Iterable<LiveTask>): Usage {
  const streamed = { promptTokens: 0, completionTokens: 0, costUsd: 0 };
  for (const task of tasks) {
    streamed.promptTokens += task.usage?.promptTokens ?? 0;
    streamed.completionTokens += task.usage?.completionTokens ?? 0;
    streamed.costUsd += task.usage?.costUsd ?? 0;
  }
  return streamed.promptTokens >= loaded.promptTokens ? streamed : loaded;
}
