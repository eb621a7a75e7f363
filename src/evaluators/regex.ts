/**
 * REGEX: 1 if params.pattern matches somewhere in the output (RegExp.test, JavaScript syntax), else 0.
 * params: {pattern: string, flags?: string}; both are compiled in checkParams so a bad pattern fails at run start. expected is ignored.
 */
import { paramsObject, requiredText, type ParamsCheck } from './params.js';

export interface RegexParams {
  pattern: string;
  flags: string;
}

export function checkRegexParams(params: unknown): ParamsCheck<RegexParams> {
  const record = paramsObject(params, 'REGEX', ['pattern', 'flags']);
  if (!record.ok) return record;
  const pattern = requiredText(record.params, 'pattern');
  if (!pattern.ok) return pattern;
  const flags = record.params.flags ?? '';
  if (typeof flags !== 'string') return { ok: false, message: 'params.flags: must be a string of RegExp flags, e.g. "i"' };
  const flagsError = compileError('', flags);
  if (flagsError) return { ok: false, message: `params.flags: not valid RegExp flags: ${flagsError}` };
  const patternError = compileError(pattern.params, flags);
  if (patternError) return { ok: false, message: `params.pattern: not a valid regular expression: ${patternError}` };
  return { ok: true, params: { pattern: pattern.params, flags } };
}

export function scoreRegex(output: string, _expected: unknown, params: RegexParams): number {
  // A fresh RegExp per call: with the g or y flag, test() keeps lastIndex between calls.
  return new RegExp(params.pattern, params.flags).test(output) ? 1 : 0;
}

function compileError(pattern: string, flags: string): string | undefined {
  try {
    new RegExp(pattern, flags);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
