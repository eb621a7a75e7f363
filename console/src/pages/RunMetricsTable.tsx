import { useEffect, useState } from 'react';
import { useQuery } from 'urql';
import { ErrorNotice } from '../components/ErrorNotice';
import { Empty } from '../components/States';
import { formatNumber } from '../format';
import { graphql } from '../gql';

const RunMetricsDocument = graphql(`
  query ConsoleRunMetrics($id: ID!) {
    run(id: $id) {
      id
      metrics(groupBy: [MODEL]) {
        name
        count
        mean
        ci95Low
        ci95High
        p50
        p90
        p99
        model {
          id
          name
        }
      }
    }
  }
`);

/** Per-model summaries with their CI and percentiles; read again whenever `refreshKey` changes (status, each tenth of progress). */
export function RunMetricsTable({ runId, refreshKey, succeeded }: { runId: string; refreshKey: string; succeeded: number }) {
  const [{ data, error }, refetch] = useQuery({ query: RunMetricsDocument, variables: { id: runId } });
  useEffect(() => refetch({ requestPolicy: 'network-only' }), [refreshKey, refetch]);
  const metrics = data?.run?.metrics ?? [];
  // Workers write metric points in batches about a second after the tasks end: read again until
  // every succeeded task is counted (a few tries, a second apart).
  const counted = metrics.reduce((most, m) => Math.max(most, m.count), 0);
  const [tries, setTries] = useState(0);
  useEffect(() => {
    if (counted >= succeeded || tries >= 10) return;
    const timer = setTimeout(() => {
      setTries((n) => n + 1);
      refetch({ requestPolicy: 'network-only' });
    }, 1_000);
    return () => clearTimeout(timer);
  }, [counted, succeeded, tries, refetch]);
  // One scale per metric, shared by its models, so their intervals can be compared by eye.
  const scales = new Map<string, Scale>();
  for (const m of metrics) {
    const values = [m.ci95Low, m.ci95High, m.mean, m.p50, m.p90, m.p99].filter((v): v is number => v !== null && Number.isFinite(v));
    const scale = scales.get(m.name) ?? { low: Infinity, high: -Infinity };
    scales.set(m.name, { low: Math.min(scale.low, ...values), high: Math.max(scale.high, ...values) });
  }
  if (error) return <ErrorNotice error={error} />;
  if (metrics.length === 0) return <Empty>No metric recorded yet.</Empty>;
  return (
    <table data-testid="run-metrics">
      <thead>
        <tr>
          <th scope="col">Metric</th>
          <th scope="col">Model</th>
          <th scope="col">n</th>
          <th scope="col">Mean</th>
          <th scope="col">95% CI</th>
          <th scope="col">p50</th>
          <th scope="col">p90</th>
          <th scope="col">p99</th>
          <th scope="col">Mean, 95% CI and p50/p90/p99</th>
        </tr>
      </thead>
      <tbody>
        {metrics.map((m) => (
          <tr key={`${m.name}/${m.model?.id}`}>
            <td>{m.name}</td>
            <td>{m.model?.name}</td>
            <td>{m.count}</td>
            <td>{formatNumber(m.mean)}</td>
            <td>
              [{formatNumber(m.ci95Low)}, {formatNumber(m.ci95High)}]
            </td>
            <td>{formatNumber(m.p50)}</td>
            <td>{formatNumber(m.p90)}</td>
            <td>{formatNumber(m.p99)}</td>
            <td>
              <MeanInterval metric={m} scale={scales.get(m.name)!} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

interface Scale {
  low: number;
  high: number;
}

type Summary = { mean: number | null; ci95Low: number | null; ci95High: number | null; p50: number | null; p90: number | null; p99: number | null };

/** The model's mean (dot) and its 95% CI (bar), with ticks at p50, p90 and p99, on the metric's scale. */
function MeanInterval({ metric, scale }: { metric: Summary; scale: Scale }) {
  const span = scale.high - scale.low || 1;
  const x = (value: number) => 5 + ((value - scale.low) / span) * 90;
  const { mean, ci95Low, ci95High } = metric;
  const ticks = [metric.p50, metric.p90, metric.p99].filter((v): v is number => v !== null);
  return (
    <svg
      className="mean-interval"
      viewBox="0 0 100 12"
      role="img"
      aria-label={`mean ${formatNumber(mean)}, 95% CI ${formatNumber(ci95Low)} to ${formatNumber(ci95High)}, p50/p90/p99 ${ticks.map((t) => formatNumber(t)).join(', ')}`}
    >
      {ticks.map((t, i) => (
        <line key={i} x1={x(t)} x2={x(t)} y1={1} y2={11} className="tick" />
      ))}
      {ci95Low !== null && ci95High !== null && <line x1={x(ci95Low)} x2={x(ci95High)} y1={6} y2={6} className="ci" />}
      {mean !== null && <circle cx={x(mean)} cy={6} r={2.5} className="point" />}
    </svg>
  );
}
