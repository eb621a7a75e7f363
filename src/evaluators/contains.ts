/**
 * CONTAINS: 1 if the output contains a reference as a substring, else 0 (no trimming; an empty reference is always contained).
 * params: {caseSensitive?: boolean = true}. expected: see referenceTexts (an array passes if the output contains any element, null scores 0).
 */
import { referenceTexts } from './expected.js';
import { optionalBoolean, paramsObject, type ParamsCheck } from './params.js';

export interface ContainsParams {
  caseSensitive: boolean;
}

export function checkContainsParams(params: unknown): ParamsCheck<ContainsParams> {
  const record = paramsObject(params, 'CONTAINS', ['caseSensitive']);
  if (!record.ok) return record;
  const caseSensitive = optionalBoolean(record.params, 'caseSensitive', true);
  return caseSensitive.ok ? { ok: true, params: { caseSensitive: caseSensitive.params } } : caseSensitive;
}

export function scoreContains(output: string, expected: unknown, params: ContainsParams): number {
  const fold = (text: string) => (params.caseSensitive ? text : text.toLowerCase());
  const haystack = fold(output);
  return referenceTexts(expected).some((reference) => haystack.includes(fold(reference))) ? 1 : 0;
}
