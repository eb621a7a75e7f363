import { describe, expect, it } from 'vitest';
import { checkTokenF1Params, normalizeAnswer, scoreTokenF1, tokenF1 } from '../../src/evaluators/token-f1.js';

describe('TOKEN_F1 against published SQuAD v1.1 values', () => {
  // allenai/allennlp-models tests/rc/metrics/squad_em_and_f1_test.py (commit 493e961e43a41a46e8b2248ca6f736c2bd7bbe00): f1_score == 0.75, max over the answers
  it('"this is the best span" against two answers is 0.75', () => {
    expect(scoreTokenF1('this is the best span', ['this is a good span', 'something irrelevant'])).toBe(0.75);
  });

  // allenai/allennlp-models tests/rc/metrics/squad_em_and_f1_test.py (commit 493e961e43a41a46e8b2248ca6f736c2bd7bbe00): second example of the distributed test, 1.75 / 2 in all
  it('"this is another span" matching its first answer is 1', () => {
    expect(scoreTokenF1('this is another span', ['this is another span', 'this one is less perfect'])).toBe(1);
  });

  // huggingface/evaluate metrics/squad/README.md (commit 2ff8d75f58443299d70b74446f053cea7a126a73): maximal, minimal and partial-match examples (f1 100, 0, and 66.67 as 1, 0, 1)
  it('the metric card examples', () => {
    expect(scoreTokenF1('1976', ['1976'])).toBe(1);
    expect(scoreTokenF1('1999', ['1976'])).toBe(0);
    const partial = [scoreTokenF1('1976', ['1976']), scoreTokenF1('Beyonce', ['Beyoncé and Bruno Mars']), scoreTokenF1('climate change', ['climate change'])];
    expect((100 * partial.reduce((a, b) => a + b)) / partial.length).toBeCloseTo(66.66666666666667, 10);
  });

  // The formula of f1_score in the official v1.1 script (huggingface/evaluate metrics/squad/compute_score.py, commit b6e7c3b0ed02444f1b3f4f1eb48a39f27af321ec): common tokens counted as a multiset
  it('counts repeated tokens as a multiset', () => {
    expect(tokenF1('rock', 'rock n roll')).toBeCloseTo((2 * 1 * (1 / 3)) / (1 + 1 / 3), 12);
    expect(tokenF1('x x y', 'x y y')).toBeCloseTo(2 / 3, 12);
    expect(tokenF1('x x', 'x')).toBeCloseTo(2 / 3, 12);
    // Articles go before counting: "b" against "b b".
    expect(tokenF1('a a b', 'a b b')).toBeCloseTo(2 / 3, 12);
  });
});

describe('TOKEN_F1 normalization (normalize_answer of the v1.1 script)', () => {
  it('lowercases, drops ASCII punctuation and articles, collapses whitespace', () => {
    expect(normalizeAnswer('   Rock    n  Roll.')).toBe('rock n roll');
    expect(normalizeAnswer('The Eiffel-Tower, an icon!')).toBe('eiffeltower icon');
    expect(normalizeAnswer('A cat and a dog')).toBe('cat and dog');
    expect(normalizeAnswer('theory another answer')).toBe('theory another answer');
    // Python's \b treats é as a word character, so "thé" keeps its letters and "the" beside é is not an article.
    expect(normalizeAnswer('café the élan théâtre')).toBe('café élan théâtre');
    expect(normalizeAnswer('éthe')).toBe('éthe');
    // string.punctuation is ASCII only: typographic quotes stay.
    expect(normalizeAnswer('“quoted”')).toBe('“quoted”');
  });

  it('scores 0 when either side normalizes to nothing, as v1.1 does', () => {
    expect(tokenF1('the', 'a')).toBe(0);
    expect(tokenF1('', 'answer')).toBe(0);
  });
});

describe('TOKEN_F1 expected values and params', () => {
  it('reads non-string expected values as documented', () => {
    expect(scoreTokenF1('42', 42)).toBe(1);
    expect(scoreTokenF1('anything', null)).toBe(0);
    expect(scoreTokenF1('anything', [])).toBe(0);
    expect(scoreTokenF1('blue sky', ['red sky', ['blue sky']])).toBe(1);
  });

  it('takes no params', () => {
    expect(checkTokenF1Params(undefined)).toEqual({ ok: true, params: {} });
    expect(checkTokenF1Params({ lowercase: false })).toEqual({ ok: false, message: 'params.lowercase: unknown parameter (TOKEN_F1 takes no parameters)' });
  });
});
