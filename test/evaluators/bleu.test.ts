import { describe, expect, it } from 'vitest';
import { bleuFromStatistics, bleuStatistics, checkBleuParams, scoreBleu, tokenize13a } from '../../src/evaluators/bleu.js';

describe('BLEU against published sacreBLEU values', () => {
  // mjpost/sacrebleu test/test_sentence_bleu.py (commit f615c7286d4d813370efb824d94fc2bfcd3a6b94): ('exp', None, False, '13a', 8.493), EPSILON 1e-3
  it('sentence_bleu of the #98 example is 8.493', () => {
    const ref = 'producţia de zahăr brut se exprimă în zahăr alb;';
    const sys = 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;';
    expect(Math.abs(scoreBleu(sys, ref) - 8.493)).toBeLessThan(1e-3);
    expect(Math.abs(scoreBleu(sys, [ref]) - 8.493)).toBeLessThan(1e-3);
  });

  // mjpost/sacrebleu test/test_sentence_bleu.py (commit f615c7286d4d813370efb824d94fc2bfcd3a6b94): test_cases_zero_bleu ('exp', None, False, '13a', 0.0)
  it('sentence_bleu of the #141 example (no match) is 0', () => {
    expect(scoreBleu('this is a cat', ['okay thanks'])).toBe(0);
  });

  // mjpost/sacrebleu test/test_bleu.py (commit f615c7286d4d813370efb824d94fc2bfcd3a6b94): test_case_effective_order, EPSILON 1e-8; those use floor smoothing and no tokenizer, neither of which changes these two cases
  it('effective order: "test" against "a test" and "a test" against itself', () => {
    expect(Math.abs(scoreBleu('test', 'a test') / 100 - 0.3678794411714425)).toBeLessThan(1e-8);
    expect(Math.abs(scoreBleu('a test', 'a test') / 100 - 1.0)).toBeLessThan(1e-8);
  });

  // mjpost/sacrebleu test/test_bleu.py (commit f615c7286d4d813370efb824d94fc2bfcd3a6b94): test_case_statistics (the 13a tokenizer leaves these tokens as they are)
  it('n-gram statistics of "am I am a character sequence"', () => {
    const stats = bleuStatistics('am I am a character sequence', ['I am a symbol string sequence a a']);
    expect(stats.correct).toEqual([4, 2, 1, 0]);
    expect(stats.total).toEqual([6, 5, 4, 3]);
  });

  // mjpost/sacrebleu test/test_bleu.py (commit f615c7286d4d813370efb824d94fc2bfcd3a6b94): test_case_scoring, compute_bleu([9,7,5,3], [10,8,6,4], 11, 11) = 0.8375922397 (no zero count, so smoothing does not apply)
  it('score from statistics', () => {
    const score = bleuFromStatistics({ hypothesisLength: 11, referenceLength: 11, correct: [9, 7, 5, 3], total: [10, 8, 6, 4] });
    expect(Math.abs(score / 100 - 0.8375922397)).toBeLessThan(1e-8);
  });
});

describe('BLEU details taken from the sacreBLEU source', () => {
  // sacrebleu/tokenizers/tokenizer_13a.py and tokenizer_re.py: symbols split off (not '-'), period and comma split unless beside digits, dash after a digit split.
  it('tokenizes like Tokenizer13a', () => {
    expect(tokenize13a('Hello, world! It costs $3,000.50 (approx.) -- 3-4 days.')).toEqual([
      'Hello', ',', 'world', '!', 'It', 'costs', '$', '3,000.50', '(', 'approx', '.', ')', '--', '3', '-', '4', 'days', '.',
    ]);
    expect(tokenize13a('a &amp; b &lt;c&gt; &quot;d&quot;<skipped>')).toEqual(['a', '&', 'b', '<', 'c', '>', '"', 'd', '"']);
    expect(tokenize13a('line-\nbreak\nnext  ')).toEqual(['linebreak', 'next']);
  });

  // _get_closest_ref_len: the closest reference length, the shorter one on a tie; n-gram counts are the max over references.
  it('pools several references', () => {
    const stats = bleuStatistics('a b c', ['a b', 'a b c d', 'x y z w v']);
    expect(stats.referenceLength).toBe(2);
    expect(stats.correct).toEqual([3, 2, 1, 0]);
    expect(scoreBleu('a b c d', ['x', 'a b c d'])).toBeCloseTo(100, 10);
    expect(scoreBleu('a b c d', ['a b c d', 'x'])).toBeCloseTo(100, 10);
  });

  // compute_bleu with exp smoothing: each further order with no match halves its precision again (100 / (2^k * total)).
  it('smooths zero counts the exp way', () => {
    const score = bleuFromStatistics({ hypothesisLength: 3, referenceLength: 2, correct: [2, 0, 0, 0], total: [3, 2, 1, 0] });
    const expected = Math.exp((Math.log((100 * 2) / 3) + Math.log(100 / (2 * 2)) + Math.log(100 / (4 * 1))) / 3);
    expect(score).toBeCloseTo(expected, 10);
  });

  it('scores an empty output 0', () => {
    expect(scoreBleu('', 'a reference')).toBe(0);
    expect(scoreBleu('   ', 'a reference')).toBe(0);
  });
});

describe('BLEU expected values and params', () => {
  it('reads non-string expected values as documented', () => {
    expect(scoreBleu('anything', null)).toBe(0);
    expect(scoreBleu('anything', [])).toBe(0);
    expect(scoreBleu('1984', 1984)).toBeCloseTo(100, 10);
  });

  it('takes no params', () => {
    expect(checkBleuParams({})).toEqual({ ok: true, params: {} });
    expect(checkBleuParams({ tokenize: 'intl' })).toEqual({ ok: false, message: 'params.tokenize: unknown parameter (BLEU takes no parameters)' });
    expect(checkBleuParams(3)).toEqual({ ok: false, message: 'params: must be an object (BLEU takes no parameters)' });
  });
});
