import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import { useQuery, useSubscription } from 'urql';
import { ErrorNotice } from '../components/ErrorNotice';
import { graphql } from '../gql';
import type { MetricPointsSubscription } from '../gql/graphql';

const MetricSeriesDocument = graphql(`
  query ConsoleMetricSeries($id: ID!, $name: String!) {
    run(id: $id) {
      id
      metricSeries(name: $name, bucketSeconds: 5) {
        start
        mean
      }
    }
  }
`);

const MetricPointsDocument = graphql(`
  subscription MetricPoints($runId: ID!, $names: [String!]) {
    metricPoints(runId: $runId, names: $names) {
      modelId
      value
      timestamp
    }
  }
`);

type Point = MetricPointsSubscription['metricPoints'];

/** Per model: time (s) and the running mean of the points so far. */
interface RunningMeans {
  [modelId: string]: { t: number[]; mean: number[]; sum: number };
}

const COLORS = ['#2f5d8a', '#b5462c', '#2e7d32', '#7b3fa0', '#a06800'];

interface Props {
  runId: string;
  live: boolean;
  metricNames: string[];
  models: { id: string; name: string }[];
}

/**
 * One metric over time: its mean per 5-second bucket so far, and, while the run is live, each
 * model's running mean as points arrive from `metricPoints`.
 */
export function MetricChart({ runId, live, metricNames, models }: Props) {
  const [name, setName] = useState(metricNames[0] ?? 'latency_ms');
  const [series, refetchSeries] = useQuery({ query: MetricSeriesDocument, variables: { id: runId, name } });
  // The buckets are read once more when the run ends, so they hold its last points.
  const wasLive = useRef(live);
  useEffect(() => {
    if (wasLive.current && !live) refetchSeries({ requestPolicy: 'network-only' });
    wasLive.current = live;
  }, [live, refetchSeries]);
  const [points] = useSubscription({ query: MetricPointsDocument, variables: { runId, names: [name] }, pause: !live }, (means: RunningMeans = {}, event) =>
    addPoint(means, event.metricPoints),
  );
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const plotKey = useRef('');

  const buckets = series.data?.run?.metricSeries ?? [];
  const means = points.data ?? {};
  const shownModels = models.filter((m) => means[m.id]);

  useEffect(() => {
    const tables: uPlot.AlignedData[] = [[buckets.map((b) => Date.parse(b.start) / 1000), buckets.map((b) => b.mean)]];
    for (const model of shownModels) tables.push([means[model.id]!.t, means[model.id]!.mean]);
    const data = tables.length > 1 ? uPlot.join(tables) : tables[0]!;
    const key = [name, ...shownModels.map((m) => m.id)].join();
    if (!plot.current || plotKey.current !== key) {
      plot.current?.destroy();
      const options: uPlot.Options = {
        width: Math.max(320, host.current!.clientWidth),
        height: 240,
        series: [
          {},
          { label: `${name} (5 s bucket mean)`, stroke: '#888', spanGaps: true },
          ...shownModels.map((m, i) => ({ label: `${m.name} running mean`, stroke: COLORS[i % COLORS.length], spanGaps: true })),
        ],
        axes: [{}, { label: name }],
      };
      plot.current = new uPlot(options, data, host.current!);
      plotKey.current = key;
    } else {
      plot.current.setData(data);
    }
  });
  useEffect(
    () => () => {
      plot.current?.destroy();
      plot.current = null;
    },
    [],
  );

  return (
    <figure className="chart" aria-label={`Chart of ${name} over time`}>
      <label className="inline">
        Metric
        <select value={name} onChange={(e) => setName(e.target.value)}>
          {[...new Set(metricNames)].map((n) => (
            <option key={n}>{n}</option>
          ))}
        </select>
      </label>
      {series.error && <ErrorNotice error={series.error} />}
      {points.error && <ErrorNotice error={points.error} />}
      <div ref={host} data-testid="metric-chart" />
    </figure>
  );
}

/** Appends in place (the arrays can grow to thousands of points); the new outer object makes React render. */
function addPoint(previous: RunningMeans, point: Point): RunningMeans {
  const current = previous[point.modelId] ?? { t: [], mean: [], sum: 0 };
  current.sum += point.value;
  current.t.push(Date.parse(point.timestamp) / 1000);
  current.mean.push(current.sum / (current.mean.length + 1));
  return { ...previous, [point.modelId]: current };
}
