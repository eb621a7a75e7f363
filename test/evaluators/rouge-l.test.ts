import { describe, expect, it } from 'vitest';
import { checkRougeLParams, rougeL, rougeTokens, scoreRougeL } from '../../src/evaluators/rouge-l.js';

// google-research/google-research rouge/testdata/target.txt and prediction.txt (commit 10bf941a5a0625bf27bb8443aa849e9b48fdd5f9), lines 1 and 2 with their newline, as readlines() gives them.
const TARGETS = [
  "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L\n",
  "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN\n",
];
const PREDICTIONS = [
  "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi\n",
  "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD\n",
];

describe('ROUGE_L against published rouge-score values', () => {
  // google-research/google-research rouge/rouge_scorer_test.py (commit 066e6a12a3817e45919458090102abfc0a09d287): testRougeLConsecutive, assertAlmostEqual (7 places)
  it('"testing one" against "testing one two"', () => {
    const score = rougeL('testing one two', 'testing one');
    expect(score.precision).toBeCloseTo(1, 7);
    expect(score.recall).toBeCloseTo(2 / 3, 7);
    expect(score.fmeasure).toBeCloseTo(4 / 5, 7);
  });

  // google-research/google-research rouge/rouge_scorer_test.py (commit 066e6a12a3817e45919458090102abfc0a09d287): testRougeLNonConsecutive
  it('"testing two" against "testing one two"', () => {
    const score = rougeL('testing one two', 'testing two');
    expect(score.precision).toBeCloseTo(1, 7);
    expect(score.recall).toBeCloseTo(2 / 3, 7);
    expect(score.fmeasure).toBeCloseTo(4 / 5, 7);
  });

  // google-research/google-research rouge/rouge_scorer_test.py (commit 066e6a12a3817e45919458090102abfc0a09d287): testRougeEmpty for rougeL
  it('an empty prediction scores 0', () => {
    expect(rougeL('testing one two', '')).toEqual({ precision: 0, recall: 0, fmeasure: 0 });
  });

  // google-research/google-research rouge/rouge_scorer_test.py (commit 066e6a12a3817e45919458090102abfc0a09d287): testRougeLAgainstRouge155, 5 places (values from ROUGE-1.5.5)
  it('agrees with ROUGE-1.5.5 on the test data', () => {
    const first = rougeL(TARGETS[0]!, PREDICTIONS[0]!);
    expect(first.recall).toBeCloseTo(0.40741, 5);
    expect(first.precision).toBeCloseTo(0.6875, 5);
    expect(first.fmeasure).toBeCloseTo(0.51163, 5);
    const second = rougeL(TARGETS[1]!, PREDICTIONS[1]!);
    expect(second.recall).toBeCloseTo(0.40476, 5);
    expect(second.precision).toBeCloseTo(0.65385, 5);
    expect(second.fmeasure).toBeCloseTo(0.5, 5);
  });
});

describe('ROUGE_L details taken from the rouge-score source', () => {
  // rouge/tokenize.py: lowercase, every run of characters other than [a-z0-9] is a separator.
  it('tokenizes like tokenize.tokenize without a stemmer', () => {
    expect(rougeTokens("The cat's HAT-3, naïve!")).toEqual(['the', 'cat', 's', 'hat', '3', 'na', 've']);
    expect(rougeTokens('/')).toEqual([]);
  });

  // rouge/rouge_scorer.py _score_lcs: precision over the prediction, recall over the target.
  it('takes precision over the output and recall over the expected text', () => {
    const score = rougeL('a b c d', 'a x c');
    expect(score.precision).toBeCloseTo(2 / 3, 12);
    expect(score.recall).toBeCloseTo(2 / 4, 12);
    expect(scoreRougeL('a x c', 'a b c d')).toBeCloseTo(score.fmeasure, 12);
  });
});

describe('ROUGE_L expected values and params', () => {
  it('takes the best F over several references; null scores 0', () => {
    expect(scoreRougeL('testing one', ['nothing alike', 'testing one two'])).toBeCloseTo(0.8, 12);
    expect(scoreRougeL('testing one', null)).toBe(0);
    expect(scoreRougeL('testing one', [])).toBe(0);
    expect(scoreRougeL('2024', 2024)).toBe(1);
  });

  it('takes no params', () => {
    expect(checkRougeLParams(null)).toEqual({ ok: true, params: {} });
    expect(checkRougeLParams({ useStemmer: true })).toEqual({
      ok: false,
      message: 'params.useStemmer: unknown parameter (ROUGE_L takes no parameters)',
    });
  });
});
