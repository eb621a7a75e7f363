import { judgePrompt, parseJudgeScore, type LlmJudgeParams } from '../../evaluators/llm-judge.js';
import { judgeCostMetric, scoreSync } from '../../evaluators/registry.js';
import { ProviderError } from '../../providers/errors.js';
import type { CallPolicies } from '../../providers/resilience.js';
import type { RequestRateLimiter } from '../../providers/rate-limit.js';
import type { ChatResult } from '../../providers/types.js';
import { costUsd, type ExecEvaluator, type ExecModel, type RunContext } from './run-context.js';

export interface Scored {
  metrics: Record<string, number>;
  /** Evaluators that could not score (a judge that failed or gave no number), said for the task's error. */
  problems: string[];
}

/** How a task's call ended, for its scores. */
export interface CallResult extends ChatResult {
  latencyMs: number;
  costUsd: number;
}

/**
 * Scores one answered task: the call's own measures, each evaluator of the run in order, and the
 * judges' calls through the same policies (retries, breaker, rate limit) as tasks. An evaluator
 * that fails leaves its metric out and says why; it never fails the task.
 */
export class TaskScorer {
  constructor(
    private readonly policies: CallPolicies,
    private readonly rateLimiter: RequestRateLimiter,
  ) {}

  async score(context: RunContext, input: unknown, expected: unknown, call: CallResult, signal: AbortSignal): Promise<Scored> {
    const metrics: Record<string, number> = {
      latency_ms: call.latencyMs,
      prompt_tokens: call.promptTokens,
      completion_tokens: call.completionTokens,
      cost_usd: call.costUsd,
    };
    const problems: string[] = [];
    for (const evaluator of context.evaluators) {
      try {
        if (evaluator.judge) {
          const judged = await this.judge(evaluator, evaluator.judge, input, expected, call.output, signal);
          metrics[judgeCostMetric(evaluator.name)] = judged.costUsd;
          if (judged.score === null) problems.push(`${evaluator.name}: the judge's reply had no score (expected a last line "SCORE: <number>").`);
          else metrics[evaluator.name] = judged.score;
        } else {
          const value = scoreSync(evaluator.kind, call.output, expected, evaluator.params);
          if (value !== undefined) metrics[evaluator.name] = value;
        }
      } catch (err) {
        if (signal.aborted) throw err;
        problems.push(`${evaluator.name}: ${err instanceof ProviderError ? `the judge's call failed: ${err.message}` : (err as Error).message}`);
      }
    }
    return { metrics, problems };
  }

  private async judge(evaluator: ExecEvaluator, judge: ExecModel, input: unknown, expected: unknown, output: string, signal: AbortSignal) {
    const messages = judgePrompt(evaluator.params as LlmJudgeParams, input, expected, output);
    if (judge.snapshot.requestsPerMinute !== null) await this.rateLimiter.acquire(judge.snapshot.id, judge.snapshot.requestsPerMinute, signal);
    const reply = await this.policies
      .forModel(judge.snapshot.id)
      .execute((attemptSignal) => judge.client.complete({ system: messages.system, prompt: messages.prompt, signal: attemptSignal }), signal);
    return { score: parseJudgeScore(reply.output), costUsd: costUsd(judge.snapshot, reply.promptTokens, reply.completionTokens) };
  }
}
