import { useEffect } from 'react';
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
export function RunMetricsTable({ runId, refreshKey }: { runId: string; refreshKey: string }) {
  const [{ data, error }, refetch] = useQuery({ query: RunMetricsDocument, variables: { id: runId } });
  useEffect(() => refetch({ requestPolicy: 'network-only' }), [refreshKey, refetch]);
  const metrics = data?.run?.metrics ?? [];
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
          </tr>
        ))}
      </tbody>
    </table>
  );
}
