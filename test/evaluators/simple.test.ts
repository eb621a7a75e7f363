import { describe, expect, it } from 'vitest';
import { checkContainsParams, scoreContains } from '../../src/evaluators/contains.js';
import { checkExactMatchParams, scoreExactMatch } from '../../src/evaluators/exact-match.js';
import { checkJsonValidParams, scoreJsonValid } from '../../src/evaluators/json-valid.js';
import { checkLlmJudgeParams } from '../../src/evaluators/llm-judge.js';
import { checkRegexParams, scoreRegex } from '../../src/evaluators/regex.js';

const sensitive = { caseSensitive: true };
const insensitive = { caseSensitive: false };

describe('EXACT_MATCH', () => {
  it('compares after trimming both sides, case-sensitively by default', () => {
    expect(scoreExactMatch('  Paris\n', 'Paris', sensitive)).toBe(1);
    expect(scoreExactMatch('Paris', ' Paris ', sensitive)).toBe(1);
    expect(scoreExactMatch('paris', 'Paris', sensitive)).toBe(0);
    expect(scoreExactMatch('Paris, France', 'Paris', sensitive)).toBe(0);
    expect(scoreExactMatch('paris', 'Paris', insensitive)).toBe(1);
  });

  it('reads non-string expected values as documented', () => {
    expect(scoreExactMatch('42', 42, sensitive)).toBe(1);
    expect(scoreExactMatch('42.0', 42, sensitive)).toBe(0);
    expect(scoreExactMatch('true', true, sensitive)).toBe(1);
    expect(scoreExactMatch('null', null, sensitive)).toBe(0);
    expect(scoreExactMatch('', null, sensitive)).toBe(0);
    expect(scoreExactMatch('', undefined, sensitive)).toBe(0);
    expect(scoreExactMatch('{"a":1}', { a: 1 }, sensitive)).toBe(1);
    expect(scoreExactMatch('b', ['a', 'b'], sensitive)).toBe(1);
    expect(scoreExactMatch('c', ['a', 'b'], sensitive)).toBe(0);
    expect(scoreExactMatch('', [], sensitive)).toBe(0);
  });

  it('checks its params', () => {
    expect(checkExactMatchParams(undefined)).toEqual({ ok: true, params: { caseSensitive: true } });
    expect(checkExactMatchParams(null)).toEqual({ ok: true, params: { caseSensitive: true } });
    expect(checkExactMatchParams({ caseSensitive: false })).toEqual({ ok: true, params: { caseSensitive: false } });
    expect(checkExactMatchParams({ caseSensitive: 'no' })).toEqual({ ok: false, message: 'params.caseSensitive: must be true or false' });
    expect(checkExactMatchParams({ casesensitive: false })).toEqual({
      ok: false,
      message: 'params.casesensitive: unknown parameter (EXACT_MATCH takes caseSensitive)',
    });
    expect(checkExactMatchParams('x')).toEqual({ ok: false, message: 'params: must be an object (EXACT_MATCH takes caseSensitive)' });
    expect(checkExactMatchParams([])).toMatchObject({ ok: false });
  });
});

describe('CONTAINS', () => {
  it('looks for the reference as a substring', () => {
    expect(scoreContains('The capital is Paris.', 'Paris', sensitive)).toBe(1);
    expect(scoreContains('The capital is paris.', 'Paris', sensitive)).toBe(0);
    expect(scoreContains('The capital is paris.', 'PARIS', insensitive)).toBe(1);
    expect(scoreContains('anything', '', sensitive)).toBe(1);
  });

  it('reads non-string expected values as documented', () => {
    expect(scoreContains('The answer is 42.', 42, sensitive)).toBe(1);
    expect(scoreContains('null', null, sensitive)).toBe(0);
    expect(scoreContains('red or blue', ['green', 'blue'], sensitive)).toBe(1);
    expect(scoreContains('red', ['green', 'blue'], sensitive)).toBe(0);
    expect(scoreContains('{"a":1}', { a: 1 }, sensitive)).toBe(1);
  });

  it('checks its params', () => {
    expect(checkContainsParams({})).toEqual({ ok: true, params: { caseSensitive: true } });
    expect(checkContainsParams({ caseSensitive: 1 })).toEqual({ ok: false, message: 'params.caseSensitive: must be true or false' });
    expect(checkContainsParams({ pattern: 'x' })).toEqual({
      ok: false,
      message: 'params.pattern: unknown parameter (CONTAINS takes caseSensitive)',
    });
  });
});

describe('REGEX', () => {
  it('tests the pattern anywhere in the output, ignoring expected', () => {
    const digits = { pattern: '\\d{3}', flags: '' };
    expect(scoreRegex('call 555 now', null, digits)).toBe(1);
    expect(scoreRegex('call now', '555', digits)).toBe(0);
    expect(scoreRegex('YES', null, { pattern: '^yes$', flags: 'i' })).toBe(1);
    expect(scoreRegex('YES', null, { pattern: '^yes$', flags: '' })).toBe(0);
  });

  it('gives the same answer on every call, even with the g flag', () => {
    const global = { pattern: 'a', flags: 'g' };
    expect([scoreRegex('a', null, global), scoreRegex('a', null, global), scoreRegex('a', null, global)]).toEqual([1, 1, 1]);
  });

  it('checks its params, compiling the pattern', () => {
    expect(checkRegexParams({ pattern: '^a+$' })).toEqual({ ok: true, params: { pattern: '^a+$', flags: '' } });
    expect(checkRegexParams({ pattern: 'a', flags: 'im' })).toEqual({ ok: true, params: { pattern: 'a', flags: 'im' } });
    expect(checkRegexParams(undefined)).toEqual({ ok: false, message: 'params.pattern: required' });
    expect(checkRegexParams({})).toEqual({ ok: false, message: 'params.pattern: required' });
    expect(checkRegexParams({ pattern: 3 })).toEqual({ ok: false, message: 'params.pattern: must be a string' });
    expect(checkRegexParams({ pattern: '' })).toEqual({ ok: false, message: 'params.pattern: must not be empty' });
    expect(checkRegexParams({ pattern: '(a' })).toEqual({
      ok: false,
      message: 'params.pattern: not a valid regular expression: Invalid regular expression: /(a/: Unterminated group',
    });
    expect(checkRegexParams({ pattern: '[flag' })).toMatchObject({ ok: false, message: expect.stringMatching(/^params\.pattern: not a valid regular expression: /) });
    expect(checkRegexParams({ pattern: 'a', flags: 'q' })).toMatchObject({ ok: false, message: expect.stringMatching(/^params\.flags: not valid RegExp flags: /) });
    expect(checkRegexParams({ pattern: 'a', flags: 1 })).toEqual({ ok: false, message: 'params.flags: must be a string of RegExp flags, e.g. "i"' });
    expect(checkRegexParams({ pattern: 'a', flag: 'i' })).toEqual({
      ok: false,
      message: 'params.flag: unknown parameter (REGEX takes pattern, flags)',
    });
  });
});

describe('JSON_VALID', () => {
  it('is 1 exactly when the whole output parses as JSON', () => {
    expect(scoreJsonValid('{"a": [1, 2, null]}')).toBe(1);
    expect(scoreJsonValid('  42 \n')).toBe(1);
    expect(scoreJsonValid('"text"')).toBe(1);
    expect(scoreJsonValid('null')).toBe(1);
    expect(scoreJsonValid('{a: 1}')).toBe(0);
    expect(scoreJsonValid('```json\n{}\n```')).toBe(0);
    expect(scoreJsonValid('{"a": 1} trailing')).toBe(0);
    expect(scoreJsonValid('')).toBe(0);
  });

  it('takes no params', () => {
    expect(checkJsonValidParams(undefined)).toEqual({ ok: true, params: {} });
    expect(checkJsonValidParams({})).toEqual({ ok: true, params: {} });
    expect(checkJsonValidParams({ strict: true })).toEqual({
      ok: false,
      message: 'params.strict: unknown parameter (JSON_VALID takes no parameters)',
    });
  });
});

describe('LLM_JUDGE params', () => {
  it('needs a non-empty modelId and rubric', () => {
    expect(checkLlmJudgeParams({ modelId: 'm1', rubric: 'Is it polite?' })).toEqual({
      ok: true,
      params: { modelId: 'm1', rubric: 'Is it polite?' },
    });
    expect(checkLlmJudgeParams(undefined)).toEqual({ ok: false, message: 'params.modelId: required' });
    expect(checkLlmJudgeParams({ modelId: '', rubric: 'r' })).toEqual({ ok: false, message: 'params.modelId: must not be empty' });
    expect(checkLlmJudgeParams({ modelId: 7, rubric: 'r' })).toEqual({ ok: false, message: 'params.modelId: must be a string' });
    expect(checkLlmJudgeParams({ modelId: 'm1' })).toEqual({ ok: false, message: 'params.rubric: required' });
    expect(checkLlmJudgeParams({ modelId: 'm1', rubric: '' })).toEqual({ ok: false, message: 'params.rubric: must not be empty' });
    expect(checkLlmJudgeParams({ modelId: 'm1', rubric: 'r', temperature: 0 })).toEqual({
      ok: false,
      message: 'params.temperature: unknown parameter (LLM_JUDGE takes modelId, rubric)',
    });
  });
});
