/**
 * EXACT_MATCH: 1 if the output equals a reference after trimming both, else 0.
 * params: {caseSensitive?: boolean = true}. expected: see referenceTexts (a number compares as its JSON text,
 * an array matches if any element does, null scores 0).
 */
import { referenceTexts } from './expected.js';
import { optionalBoolean, paramsObject, type ParamsCheck } from './params.js';

export interface ExactMatchParams {
  caseSensitive: boolean;
}

export function checkExactMatchParams(params: unknown): ParamsCheck<ExactMatchParams> {
  const record = paramsObject(params, 'EXACT_MATCH', ['caseSensitive']);
  if (!record.ok) return record;
  const caseSensitive = optionalBoolean(record.params, 'caseSensitive', true);
  return caseSensitive.ok ? { ok: true, params: { caseSensitive: caseSensitive.params } } : caseSensitive;
}

export function scoreExactMatch(output: string, expected: unknown, params: ExactMatchParams): number {
  const fold = (text: string) => (params.caseSensitive ? text.trim() : text.trim().toLowerCase());
  const candidate = fold(output);
  return referenceTexts(expected).some((reference) => fold(reference) === candidate) ? 1 : 0;
}
