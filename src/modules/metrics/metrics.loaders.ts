import { Loader } from '../common/loaders.js';
import type { MetricBucketRow, MetricGroupKey } from './metric-store.js';
import type { MetricsService, MetricSummaryData } from './metrics.service.js';

export interface SummariesKey {
  runId: string;
  /** Sorted and unique, or null for every metric. */
  names: readonly string[] | null;
  /** Sorted and unique. */
  groupBy: readonly MetricGroupKey[];
}

export interface SeriesKey {
  runId: string;
  name: string;
  bucketSeconds: number;
}

/** Keys that share everything but the run: one store query answers all of them. */
function groupByShape<K extends { runId: string }>(keys: readonly K[], shapeOf: (key: K) => string): Map<string, K[]> {
  const groups = new Map<string, K[]>();
  for (const key of keys) {
    const shape = shapeOf(key);
    let list = groups.get(shape);
    if (!list) groups.set(shape, (list = []));
    list.push(key);
  }
  return groups;
}

/** Run.metrics and Run.metricSeries for a page of runs: one store query per distinct argument set, whatever the page size. */
export function createMetricLoaders(metrics: MetricsService) {
  const summariesShape = (key: SummariesKey) => JSON.stringify([key.names, key.groupBy]);
  const seriesShape = (key: SeriesKey) => JSON.stringify([key.name, key.bucketSeconds]);
  return {
    metricSummariesByRun: new Loader<SummariesKey, MetricSummaryData[], string>(
      async (keys) => {
        const byKey = new Map<string, MetricSummaryData[]>();
        for (const group of groupByShape(keys, summariesShape).values()) {
          const { names, groupBy } = group[0]!;
          const runIds = [...new Set(group.map((k) => k.runId))];
          for (const row of await metrics.summaries(runIds, names, groupBy)) {
            const key = `${row.runId}|${summariesShape(group[0]!)}`;
            byKey.set(key, [...(byKey.get(key) ?? []), row]);
          }
        }
        return keys.map((key) => byKey.get(`${key.runId}|${summariesShape(key)}`) ?? []);
      },
      { cacheKeyFn: (key) => `${key.runId}|${summariesShape(key)}` },
    ),
    metricSeriesByRun: new Loader<SeriesKey, MetricBucketRow[], string>(
      async (keys) => {
        const byKey = new Map<string, MetricBucketRow[]>();
        for (const group of groupByShape(keys, seriesShape).values()) {
          const { name, bucketSeconds } = group[0]!;
          for (const row of await metrics.series([...new Set(group.map((k) => k.runId))], name, bucketSeconds)) {
            const key = `${row.runId}|${seriesShape(group[0]!)}`;
            byKey.set(key, [...(byKey.get(key) ?? []), row]);
          }
        }
        return keys.map((key) => byKey.get(`${key.runId}|${seriesShape(key)}`) ?? []);
      },
      { cacheKeyFn: (key) => `${key.runId}|${seriesShape(key)}` },
    ),
  };
}
