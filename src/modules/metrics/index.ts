import { defineModule } from '../../app/module.js';
import { runsModule } from '../runs/index.js';
import { watchMetricWriter } from '../../observability/metrics.js';
import { MetricWriter } from './metric-writer.js';
import { createMetricLoaders } from './metrics.loaders.js';
import { MetricPointsResolver, MetricSummaryResolver, RunComparisonResolver, RunMetricsResolver, TaskPairResolver } from './metrics.resolver.js';
import { MetricsService } from './metrics.service.js';

/** Metric points (ClickHouse or PostgreSQL, as the composition root chose), their summaries, series and comparisons. */
export const metricsModule = defineModule({
  name: 'metrics',
  resolvers: [RunMetricsResolver, MetricSummaryResolver, RunComparisonResolver, TaskPairResolver, MetricPointsResolver],
  build: ({ metrics, pubsub, logger, service }) => {
    service(runsModule);
    const writer = new MetricWriter(metrics.store, logger.child({ component: 'metric-writer' }), metrics.writer);
    const metricsService = new MetricsService(metrics.store, writer, pubsub, logger);
    const unwatch = watchMetricWriter(writer);
    const close = async (timeoutMs: number) => {
      await metricsService.close(timeoutMs);
      unwatch();
    };
    return { service: metricsService, loaders: () => createMetricLoaders(metricsService), close };
  },
});
