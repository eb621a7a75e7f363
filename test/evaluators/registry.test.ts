import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkEvaluatorParams, defaultMetricName, evaluators, scoreSync, type EvaluatorKind } from '../../src/evaluators/registry.js';
import { EvaluatorKind as GraphQLEvaluatorKind } from '../../src/modules/runs/runs.types.js';

describe('evaluator registry', () => {
  it('has exactly the kinds of the GraphQL enum', () => {
    expect(Object.keys(evaluators).sort()).toEqual(Object.values(GraphQLEvaluatorKind).sort());
  });

  it('names each default metric in snake_case', () => {
    expect(defaultMetricName).toEqual({
      EXACT_MATCH: 'exact_match',
      CONTAINS: 'contains',
      REGEX: 'regex',
      JSON_VALID: 'json_valid',
      TOKEN_F1: 'token_f1',
      BLEU: 'bleu',
      ROUGE_L: 'rouge_l',
      LLM_JUDGE: 'llm_judge',
    });
  });

  it('scores every kind but LLM_JUDGE here', () => {
    const scoredHere = (Object.keys(evaluators) as EvaluatorKind[]).filter((kind) => evaluators[kind].score !== undefined);
    expect(scoredHere.sort()).toEqual(['BLEU', 'CONTAINS', 'EXACT_MATCH', 'JSON_VALID', 'REGEX', 'ROUGE_L', 'TOKEN_F1']);
    expect(evaluators.LLM_JUDGE.score).toBeUndefined();
  });

  it('dispatches params checks and scores by kind', () => {
    const checked = checkEvaluatorParams('REGEX', { pattern: '^ok$', flags: 'i' });
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    expect(scoreSync('REGEX', 'OK', null, checked.params)).toBe(1);
    expect(checkEvaluatorParams('REGEX', { pattern: '*' })).toMatchObject({ ok: false, message: expect.stringMatching(/^params\.pattern: not a valid regular expression: /) });
    expect(checkEvaluatorParams('LLM_JUDGE', {})).toEqual({ ok: false, message: 'params.modelId: required' });
    expect(scoreSync('LLM_JUDGE', 'output', 'expected', { modelId: 'm', rubric: 'r' })).toBeUndefined();
    const exact = checkEvaluatorParams('EXACT_MATCH', undefined);
    expect(exact.ok && scoreSync('EXACT_MATCH', ' yes ', 'yes', exact.params)).toBe(1);
  });

  it('imports nothing from outside src/evaluators', () => {
    const folder = new URL('../../src/evaluators/', import.meta.url);
    for (const file of readdirSync(folder)) {
      const source = readFileSync(new URL(file, folder), 'utf8');
      for (const [, specifier] of source.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)) {
        expect(`${file}: ${specifier}`).toMatch(/: \.\/[a-z0-9-]+\.js$/);
      }
    }
  });
});
