import { useEffect, useRef } from 'react';
import { useQuery } from 'urql';
import { ErrorNotice } from '../components/ErrorNotice';
import { Loading } from '../components/States';
import { StatusBadge } from '../components/StatusBadge';
import { formatJson, formatNumber } from '../format';
import { graphql } from '../gql';

const TaskDocument = graphql(`
  query ConsoleTask($id: ID!) {
    node(id: $id) {
      id
      ... on Task {
        status
        rowIndex
        repetition
        attempts
        input
        expected
        renderedPrompt
        output
        error
        latencyMs
        model {
          name
        }
        promptVersion {
          version
          prompt {
            name
          }
        }
        metrics {
          name
          value
        }
      }
    }
  }
`);

export function TaskDetail({ taskId, onClose }: { taskId: string; onClose(): void }) {
  const [{ data, fetching, error }] = useQuery({ query: TaskDocument, variables: { id: taskId }, requestPolicy: 'network-only' });
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [taskId]);
  const task = data?.node && 'status' in data.node ? data.node : null;

  return (
    <aside className="card task-detail" aria-labelledby="task-detail-title" data-testid="task-detail">
      <h3 id="task-detail-title" tabIndex={-1} ref={heading}>
        Task {task ? `row ${task.rowIndex}, repetition ${task.repetition}` : ''}
      </h3>
      <button type="button" onClick={onClose}>
        Close
      </button>
      {error && <ErrorNotice error={error} />}
      {!task && fetching && <Loading what="the task" />}
      {task && (
        <>
          <p>
            <StatusBadge status={task.status} /> {task.model.name} · {task.promptVersion.prompt.name} v{task.promptVersion.version} · attempts {task.attempts} · latency{' '}
            {formatNumber(task.latencyMs, 0)} ms
          </p>
          {task.error && <ErrorNotice error={{ message: task.error }} title="Task error" />}
          <TaskField label="Rendered prompt" value={task.renderedPrompt} />
          <TaskField label="Output" value={task.output} />
          <TaskField label="Expected" value={task.expected == null ? null : formatJson(task.expected)} />
          <TaskField label="Input" value={formatJson(task.input)} />
          <h4>Metrics</h4>
          {task.metrics.length === 0 ? (
            <p className="muted">None recorded.</p>
          ) : (
            <dl className="metrics">
              {task.metrics.map((m) => (
                <div key={m.name}>
                  <dt>{m.name}</dt>
                  <dd>{formatNumber(m.value)}</dd>
                </div>
              ))}
            </dl>
          )}
        </>
      )}
    </aside>
  );
}

function TaskField({ label, value }: { label: string; value: string | null | undefined }) {
  return (
    <>
      <h4>{label}</h4>
      {value == null ? <p className="muted">—</p> : <pre>{value}</pre>}
    </>
  );
}
