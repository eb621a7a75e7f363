import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { toGlobalId } from '../../common/global-id.js';
import type { RunRow } from '../../db/schema.js';
import { connectionType } from '../common/connection.js';
import { DateTime } from '../common/node.types.js';
import type { MetricBucketRow, MetricPointRow } from './metric-store.js';
import type { MetricComparisonData, MetricSummaryData, PairChangeKind, TaskPairData } from './metrics.service.js';

export enum MetricGroupBy {
  MODEL = 'MODEL',
  PROMPT_VERSION = 'PROMPT_VERSION',
}
registerEnumType(MetricGroupBy, { name: 'MetricGroupBy', description: 'How Run.metrics splits its summaries.' });

export enum PairChange {
  IMPROVED = 'IMPROVED',
  REGRESSED = 'REGRESSED',
  UNCHANGED = 'UNCHANGED',
}
registerEnumType(PairChange, {
  name: 'PairChange',
  description: 'How a pair moved on a metric: IMPROVED means the candidate is higher (for latency or cost, read it as worse).',
});

@ObjectType('MetricSummary', { simpleResolvers: true, description: "Summary of one metric over a run's tasks (or one group of them)." })
export class MetricSummary {
  data!: MetricSummaryData;

  @Field(() => String)
  name!: string;

  @Field(() => Int, { description: 'Tasks with a value.' })
  count!: number;

  @Field(() => Float)
  mean!: number;

  @Field(() => Float, { description: 'Sample standard deviation (n - 1); 0 for a single value.' })
  stddev!: number;

  @Field(() => Float)
  min!: number;

  @Field(() => Float)
  max!: number;

  @Field(() => Float, { description: 'Quantiles interpolate linearly between the sorted values (numpy and R defaults), computed exactly.' })
  p50!: number;

  @Field(() => Float)
  p90!: number;

  @Field(() => Float)
  p95!: number;

  @Field(() => Float)
  p99!: number;

  @Field(() => Float, { description: '95% confidence interval of the mean (Student t, n - 1 degrees of freedom); the mean itself for a single value.' })
  ci95Low!: number;

  @Field(() => Float)
  ci95High!: number;

  static of(data: MetricSummaryData): MetricSummary {
    return Object.assign(new MetricSummary(), {
      data,
      name: data.name,
      count: data.count,
      mean: data.mean,
      stddev: data.stddev ?? 0,
      min: data.min,
      max: data.max,
      p50: data.p50,
      p90: data.p90,
      p95: data.p95,
      p99: data.p99,
      ci95Low: data.ci95Low,
      ci95High: data.ci95High,
    });
  }
}

@ObjectType('MetricBucket', { simpleResolvers: true, description: 'The points of one metric whose tasks ended within one time bucket.' })
export class MetricBucket {
  @Field(() => DateTime, { description: 'Start of the bucket (a multiple of its width since the epoch).' })
  start!: Date;

  @Field(() => Int)
  count!: number;

  @Field(() => Float)
  mean!: number;

  @Field(() => Float)
  min!: number;

  @Field(() => Float)
  max!: number;

  static of(row: MetricBucketRow): MetricBucket {
    return Object.assign(new MetricBucket(), { start: new Date(row.startMs), count: row.count, mean: row.mean, min: row.min, max: row.max });
  }
}

@ObjectType('MetricComparison', { simpleResolvers: true, description: 'One metric of two runs over their paired tasks.' })
export class MetricComparison {
  @Field(() => String)
  name!: string;

  @Field(() => Int, { description: 'Pairs where both tasks have a value.' })
  pairedCount!: number;

  @Field(() => Float)
  baselineMean!: number;

  @Field(() => Float)
  candidateMean!: number;

  @Field(() => Float, { description: 'candidateMean - baselineMean over the paired tasks.' })
  delta!: number;

  @Field(() => Float, { description: 'Paired bootstrap 95% interval of delta (10,000 resamples, percentile method), seeded by the two runs and the metric: the same inputs give the same interval.' })
  deltaCi95Low!: number;

  @Field(() => Float)
  deltaCi95High!: number;

  @Field(() => Float, { description: 'Two-sided paired t-test; 1.0 when nothing changed (and for a single pair), 0 when every pair moved by the same nonzero amount.' })
  pValue!: number;

  @Field(() => Int, { description: 'Pairs where the candidate is higher.' })
  improved!: number;

  @Field(() => Int, { description: 'Pairs where the candidate is lower.' })
  regressed!: number;

  @Field(() => Int)
  unchanged!: number;

  static of(data: MetricComparisonData): MetricComparison {
    return Object.assign(new MetricComparison(), data);
  }
}

@ObjectType('TaskPair', { simpleResolvers: true, description: 'Two tasks paired by (row, prompt version position, model position, repetition).' })
export class TaskPair {
  data!: TaskPairData;

  @Field(() => Int)
  rowIndex!: number;

  @Field(() => Int)
  repetition!: number;

  @Field(() => Float, { nullable: true, description: 'candidate - baseline on the metric asked for; null when either is missing.' })
  delta!: number | null;

  @Field(() => PairChange, { nullable: true })
  change!: PairChangeKind | null;

  static of(data: TaskPairData): TaskPair {
    return Object.assign(new TaskPair(), { data, rowIndex: data.rowIndex, repetition: data.repetition, delta: data.delta, change: data.change });
  }
}

export const TaskPairConnection = connectionType(TaskPair, 'TaskPair');

@ObjectType('RunComparison', { description: 'Paired comparison over the dataset rows that both runs scored.' })
export class RunComparison {
  baselineRow!: RunRow;
  candidateRow!: RunRow;
  /** Asked-for metric names, or null for every metric both runs have. */
  names!: readonly string[] | null;
}

@ObjectType('MetricPoint', { simpleResolvers: true, description: 'One metric of one task, as the worker recorded it.' })
export class MetricPoint {
  @Field(() => ID)
  runId!: string;

  @Field(() => ID)
  taskId!: string;

  @Field(() => ID)
  modelId!: string;

  @Field(() => ID)
  promptVersionId!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Float)
  value!: number;

  @Field(() => DateTime, { description: 'When the task ended.' })
  timestamp!: Date;

  static of(p: MetricPointRow): MetricPoint {
    return Object.assign(new MetricPoint(), {
      runId: toGlobalId('Run', p.runId),
      taskId: toGlobalId('Task', p.taskId),
      modelId: toGlobalId('Model', p.modelId),
      promptVersionId: toGlobalId('PromptVersion', p.promptVersionId),
      name: p.name,
      value: p.value,
      timestamp: new Date(p.timeMs),
    });
  }
}
