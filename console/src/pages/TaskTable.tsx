import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef } from 'react';
import { StatusBadge } from '../components/StatusBadge';
import { formatNumber } from '../format';
import type { TaskStatus } from '../gql/graphql';
import type { LiveTask } from '../live/useRunEvents';

const STATUSES: TaskStatus[] = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];
const ROW_HEIGHT = 32;

interface Props {
  tasks: Map<string, LiveTask>;
  total: number;
  filter: TaskStatus | 'ALL';
  onFilter(filter: TaskStatus | 'ALL'): void;
  openTaskId: string | null;
  onOpen(taskId: string): void;
}

/** In the run's order: row, prompt version, model, repetition. */
function byPosition(a: LiveTask, b: LiveTask): number {
  return a.rowIndex - b.rowIndex || a.promptVersion.version - b.promptVersion.version || a.model.name.localeCompare(b.model.name) || a.repetition - b.repetition;
}

/** Only the rows in view are in the DOM, so thousands of tasks scroll smoothly. */
export function TaskTable({ tasks, total, filter, onFilter, openTaskId, onOpen }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const rows = [...tasks.values()].filter((t) => filter === 'ALL' || t.status === filter).sort(byPosition);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 10 });

  return (
    <div className="task-table">
      <label className="inline">
        Status
        <select value={filter} onChange={(e) => onFilter(e.target.value as TaskStatus | 'ALL')}>
          <option value="ALL">all</option>
          {STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      <span className="muted" data-testid="task-count">
        {' '}
        {rows.length} shown, {tasks.size} of {total} tasks seen
      </span>
      <div role="table" aria-label="Tasks" aria-rowcount={rows.length + 1}>
      <div role="rowgroup">
        <div className="grid-row grid-head" role="row" aria-rowindex={1}>
          <span role="columnheader">Row</span>
          <span role="columnheader">Rep.</span>
          <span role="columnheader">Prompt</span>
          <span role="columnheader">Model</span>
          <span role="columnheader">Status</span>
          <span role="columnheader">Latency ms</span>
          <span role="columnheader">Error</span>
        </div>
      </div>
      <div ref={scroller} className="grid-body" role="rowgroup" tabIndex={0}>
        <div style={{ height: virtualizer.getTotalSize() }} className="grid-inner" role="presentation">
          {virtualizer.getVirtualItems().map((item) => {
            const task = rows[item.index]!;
            return (
              <div
                key={task.id}
                role="row"
                aria-rowindex={item.index + 2}
                className={task.id === openTaskId ? 'grid-row open' : 'grid-row'}
                data-testid="task-row"
                style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
              >
                <span role="cell">
                  <button type="button" className="link" onClick={() => onOpen(task.id)} aria-label={`Open task row ${task.rowIndex} repetition ${task.repetition} on ${task.model.name}`}>
                    {task.rowIndex}
                  </button>
                </span>
                <span role="cell">{task.repetition}</span>
                <span role="cell">
                  {task.promptVersion.prompt.name} v{task.promptVersion.version}
                </span>
                <span role="cell">{task.model.name}</span>
                <span role="cell">
                  <StatusBadge status={task.status} />
                </span>
                <span role="cell">{formatNumber(task.latencyMs, 0)}</span>
                <span role="cell" className="truncate" title={task.error ?? undefined}>
                  {task.error}
                </span>
              </div>
            );
          })}
        </div>
      </div>
      </div>
    </div>
  );
}
