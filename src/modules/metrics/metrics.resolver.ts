import { Arg, Authorized, Ctx, Extensions, FieldResolver, ID, Int, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { badInput } from '../../common/errors.js';
import { fromGlobalId } from '../../common/global-id.js';
import type { Context } from '../../server/context.js';
import type { RoleName } from '../auth/viewer.js';
import { pageOf, type Page } from '../common/connection.js';
import { Model } from '../models/models.types.js';
import { PromptVersion } from '../prompts/prompts.types.js';
import { Run, Task } from '../runs/runs.types.js';
import type { MetricGroupKey, MetricPointRow } from './metric-store.js';
import type { TaskPairData } from './metrics.service.js';
import { MetricBucket, MetricComparison, MetricGroupBy, MetricPoint, MetricSummary, PairChange, RunComparison, TaskPair, TaskPairConnection } from './metrics.types.js';

const MAX_NAMES = 100;
const MAX_BUCKET_SECONDS = 31 * 24 * 3600;
const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** Sorted unique names (so equal lists share a loader key), or null for every metric. */
function namesArg(names: readonly string[] | null | undefined, field = 'names'): string[] | null {
  if (names === null || names === undefined) return null;
  if (names.length > MAX_NAMES) throw badInput(`${field}: at most ${MAX_NAMES} metric names (got ${names.length}).`, field);
  return [...new Set(names)].sort();
}

@Resolver(() => Run)
export class RunMetricsResolver {
  @FieldResolver(() => [MetricSummary], {
    description: "Summaries of the run's metrics (every task records latency_ms, prompt_tokens, completion_tokens and cost_usd beside its evaluators'); unknown names give nothing.",
  })
  async metrics(
    @Root() run: Run,
    @Ctx() ctx: Context,
    @Arg('names', () => [String], { nullable: true, description: 'Only these metrics (default: all).' }) names?: string[] | null,
    @Arg('groupBy', () => [MetricGroupBy], { nullable: true, description: 'One summary per model, per prompt version, or per both.' }) groupBy?: MetricGroupBy[] | null,
  ): Promise<MetricSummary[]> {
    const key = { runId: run.row.id, names: namesArg(names), groupBy: [...new Set(groupBy ?? [])].sort() as MetricGroupKey[] };
    return (await ctx.loaders.metricSummariesByRun.load(key)).map(MetricSummary.of);
  }

  @FieldResolver(() => [MetricBucket], { description: "One metric's points by the time their tasks ended, in buckets of bucketSeconds." })
  async metricSeries(
    @Root() run: Run,
    @Ctx() ctx: Context,
    @Arg('name', () => String) name: string,
    @Arg('bucketSeconds', () => Int, { nullable: true, defaultValue: 10, description: `Bucket width, 1 to ${MAX_BUCKET_SECONDS} seconds.` }) bucketSeconds: number | null,
  ): Promise<MetricBucket[]> {
    bucketSeconds ??= 10;
    if (!Number.isInteger(bucketSeconds) || bucketSeconds < 1 || bucketSeconds > MAX_BUCKET_SECONDS) {
      throw badInput(`bucketSeconds: must be between 1 and ${MAX_BUCKET_SECONDS} (got ${bucketSeconds}).`, 'bucketSeconds');
    }
    return (await ctx.loaders.metricSeriesByRun.load({ runId: run.row.id, name, bucketSeconds })).map(MetricBucket.of);
  }
}

@Resolver(() => MetricSummary)
export class MetricSummaryResolver {
  @FieldResolver(() => Model, { nullable: true, description: 'Set when grouped by MODEL.' })
  async model(@Root() summary: MetricSummary, @Ctx() ctx: Context): Promise<Model | null> {
    return summary.data.modelId === null ? null : Model.fromRow(await ctx.loaders.modelById.load(summary.data.modelId));
  }

  @FieldResolver(() => PromptVersion, { nullable: true, description: 'Set when grouped by PROMPT_VERSION.' })
  async promptVersion(@Root() summary: MetricSummary, @Ctx() ctx: Context): Promise<PromptVersion | null> {
    return summary.data.promptVersionId === null ? null : PromptVersion.fromRow(await ctx.loaders.promptVersionById.load(summary.data.promptVersionId));
  }
}

@Resolver(() => RunComparison)
export class RunComparisonResolver {
  @Authorized<RoleName>('VIEWER')
  @Query(() => RunComparison, { description: 'Paired comparison of two runs of the project, metric by metric; NOT_FOUND when either run is not the caller\'s.' })
  async compareRuns(
    @Ctx() ctx: Context,
    @Arg('baselineRunId', () => ID) baselineRunId: string,
    @Arg('candidateRunId', () => ID) candidateRunId: string,
    @Arg('metrics', () => [String], { nullable: true, description: 'Only these metrics (default: every metric both runs have); unknown names give nothing.' }) metrics?: string[] | null,
  ): Promise<RunComparison> {
    const [baselineRow, candidateRow] = await Promise.all([
      ctx.loaders.runById.load(fromGlobalId('Run', baselineRunId, 'baselineRunId')),
      ctx.loaders.runById.load(fromGlobalId('Run', candidateRunId, 'candidateRunId')),
    ]);
    return Object.assign(new RunComparison(), { baselineRow, candidateRow, names: namesArg(metrics, 'metrics') });
  }

  @FieldResolver(() => Run)
  baseline(@Root() comparison: RunComparison): Run {
    return Run.fromRow(comparison.baselineRow);
  }

  @FieldResolver(() => Run)
  candidate(@Root() comparison: RunComparison): Run {
    return Run.fromRow(comparison.candidateRow);
  }

  @FieldResolver(() => [MetricComparison], { description: 'One entry per metric both runs scored on some pair, by name.' })
  async metrics(@Root() comparison: RunComparison, @Ctx() ctx: Context): Promise<MetricComparison[]> {
    return (await ctx.services.metrics.compare(comparison.baselineRow, comparison.candidateRow, comparison.names)).map(MetricComparison.of);
  }

  @FieldResolver(() => TaskPairConnection, { description: 'The paired tasks behind the numbers, the most changed on `metric` first; pairs missing a value come last.' })
  async pairs(
    @Root() comparison: RunComparison,
    @Ctx() ctx: Context,
    @Arg('metric', () => String) metric: string,
    @Arg('change', () => [PairChange], { nullable: true, description: 'Only pairs that moved one of these ways.' }) change?: PairChange[] | null,
    @Arg('first', () => Int, { nullable: true, description: 'Page size, 1 to 100 (default 20).' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
  ): Promise<Page<TaskPair>> {
    let all: Promise<TaskPairData[]> | undefined;
    const pairs = () =>
      (all ??= ctx.services.metrics.pairs(
        comparison.baselineRow,
        comparison.candidateRow,
        metric,
        (runId) => ctx.services.runs.taskPlaces(runId),
        change?.length ? change : null,
      ));
    return pageOf(first, after, {
      keyset: (cursor) => {
        if (cursor === null) return null;
        const [index] = cursor;
        if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) throw badInput('after: the cursor does not belong to this list; pass pageInfo.endCursor from the previous page.', 'after');
        return index;
      },
      fetch: async (afterIndex, limit) => {
        const start = afterIndex === null ? 0 : afterIndex + 1;
        return (await pairs()).slice(start, start + limit).map((data, i) => ({ data, index: start + i }));
      },
      sortKey: (row) => [row.index],
      node: (row) => TaskPair.of(row.data),
      count: async () => (await pairs()).length,
    });
  }
}

@Resolver(() => TaskPair)
export class TaskPairResolver {
  @FieldResolver(() => Task)
  async baseline(@Root() pair: TaskPair, @Ctx() ctx: Context): Promise<Task> {
    return Task.fromRow(await ctx.loaders.taskById.load(pair.data.baselineTaskId));
  }

  @FieldResolver(() => Task)
  async candidate(@Root() pair: TaskPair, @Ctx() ctx: Context): Promise<Task> {
    return Task.fromRow(await ctx.loaders.taskById.load(pair.data.candidateTaskId));
  }
}

@Resolver()
export class MetricPointsResolver {
  @Authorized<RoleName>('VIEWER')
  // Its arguments choose the stream, not what an event looks like: subscribers that differ only in them share each event's execution.
  @Extensions({ eventIgnoresArgs: true })
  @Subscription(() => MetricPoint, {
    description: "The run's metric points as workers record them (live only: Run.metrics holds the earlier ones); ends when the run ends.",
    subscribe: async ({ args, context }: SubscribeResolverData<unknown, { runId: string; names?: string[] | null }, Context>) => {
      const runId = fromGlobalId('Run', args.runId, 'runId');
      const run = await context.loaders.runById.load(runId); // NOT_FOUND before subscribing to another project's run
      const names = namesArg(args.names);
      if (FINAL.has(run.status)) return (async function* () {})();
      const stillLive = async () => !FINAL.has((await context.services.runs.get(context.viewer.projectId, runId)).status);
      return context.services.metrics.points(runId, names === null ? null : new Set(names), stillLive);
    },
  })
  metricPoints(
    @Root() point: MetricPointRow,
    @Arg('runId', () => ID, { description: 'The run to watch.' }) _runId: string,
    @Arg('names', () => [String], { nullable: true, description: 'Only these metrics (default: all).' }) _names?: string[] | null,
  ): MetricPoint {
    return MetricPoint.of(point);
  }
}
