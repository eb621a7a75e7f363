/** Every evaluator kind with its params check, its scoring function (absent for LLM_JUDGE, which is asynchronous and scored elsewhere) and its default metric name. */
import { checkBleuParams, scoreBleu, type BleuParams } from './bleu.js';
import { checkContainsParams, scoreContains, type ContainsParams } from './contains.js';
import { checkExactMatchParams, scoreExactMatch, type ExactMatchParams } from './exact-match.js';
import { checkJsonValidParams, scoreJsonValid, type JsonValidParams } from './json-valid.js';
import { checkLlmJudgeParams, type LlmJudgeParams } from './llm-judge.js';
import type { ParamsCheck } from './params.js';
import { checkRegexParams, scoreRegex, type RegexParams } from './regex.js';
import { checkRougeLParams, scoreRougeL, type RougeLParams } from './rouge-l.js';
import { checkTokenF1Params, scoreTokenF1, type TokenF1Params } from './token-f1.js';

export type { ParamsCheck } from './params.js';

/** Scored here, synchronously and without side effects. */
export interface SyncEvaluator<P> {
  readonly metricName: string;
  checkParams(params: unknown): ParamsCheck<P>;
  score(output: string, expected: unknown, params: P): number;
}

/** Scored by another part of the system (asynchronous: it calls a provider); only its params are checked here. */
export interface ExternalEvaluator<P> {
  readonly metricName: string;
  checkParams(params: unknown): ParamsCheck<P>;
  readonly score?: undefined;
}

export interface EvaluatorRegistry {
  EXACT_MATCH: SyncEvaluator<ExactMatchParams>;
  CONTAINS: SyncEvaluator<ContainsParams>;
  REGEX: SyncEvaluator<RegexParams>;
  JSON_VALID: SyncEvaluator<JsonValidParams>;
  TOKEN_F1: SyncEvaluator<TokenF1Params>;
  BLEU: SyncEvaluator<BleuParams>;
  ROUGE_L: SyncEvaluator<RougeLParams>;
  LLM_JUDGE: ExternalEvaluator<LlmJudgeParams>;
}

/** The same values as the GraphQL enum EvaluatorKind (a test keeps them equal); spelt here because this folder imports nothing from the rest of src. */
export type EvaluatorKind = keyof EvaluatorRegistry;

export const evaluators: EvaluatorRegistry = {
  EXACT_MATCH: { metricName: 'exact_match', checkParams: checkExactMatchParams, score: scoreExactMatch },
  CONTAINS: { metricName: 'contains', checkParams: checkContainsParams, score: scoreContains },
  REGEX: { metricName: 'regex', checkParams: checkRegexParams, score: scoreRegex },
  JSON_VALID: { metricName: 'json_valid', checkParams: checkJsonValidParams, score: scoreJsonValid },
  TOKEN_F1: { metricName: 'token_f1', checkParams: checkTokenF1Params, score: scoreTokenF1 },
  BLEU: { metricName: 'bleu', checkParams: checkBleuParams, score: scoreBleu },
  ROUGE_L: { metricName: 'rouge_l', checkParams: checkRougeLParams, score: scoreRougeL },
  LLM_JUDGE: { metricName: 'llm_judge', checkParams: checkLlmJudgeParams },
};

/** The metric name a kind writes when the run does not name one. */
export const defaultMetricName: Record<EvaluatorKind, string> = Object.fromEntries(
  Object.entries(evaluators).map(([kind, evaluator]) => [kind, evaluator.metricName]),
) as Record<EvaluatorKind, string>;

/** Checks params for any kind, e.g. at run start. */
export function checkEvaluatorParams(kind: EvaluatorKind, params: unknown): ParamsCheck<unknown> {
  return evaluators[kind].checkParams(params);
}

/** Scores with a kind scored here; undefined for LLM_JUDGE. params must come from that kind's checkParams. */
export function scoreSync(kind: EvaluatorKind, output: string, expected: unknown, params: unknown): number | undefined {
  const evaluator: { score?: (output: string, expected: unknown, params: never) => number } = evaluators[kind];
  return evaluator.score?.(output, expected, params as never);
}

/** Metrics every SUCCEEDED task records beside its evaluators'; no evaluator may take these names. */
export const CALL_METRICS = ['latency_ms', 'prompt_tokens', 'completion_tokens', 'cost_usd'] as const;

/** The metric an LLM_JUDGE evaluator records its judge's cost under, apart from the task's cost_usd. */
export const judgeCostMetric = (evaluatorName: string) => `${evaluatorName}_cost_usd`;
