import { Field, Float, ObjectType } from 'type-graphql';

@ObjectType('MetricValue', { simpleResolvers: true, description: "One metric of one task: an evaluator's score, or latency_ms, prompt_tokens, completion_tokens, cost_usd." })
export class MetricValue {
  @Field(() => String)
  name!: string;

  @Field(() => Float)
  value!: number;

  /** A task's metrics column, sorted by name. */
  static listOf(metrics: Record<string, number> | null): MetricValue[] {
    if (!metrics) return [];
    return Object.keys(metrics)
      .sort()
      .map((name) => Object.assign(new MetricValue(), { name, value: metrics[name]! }));
  }
}
