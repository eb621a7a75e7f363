/**
 * ROUGE_L: ROUGE-L F-measure, 0..1, as Google's rouge-score `RougeScorer(['rougeL'])` computes it by default (no stemmer):
 * tokens are lowercase [a-z0-9] runs, precision = LCS / output tokens, recall = LCS / reference tokens, F = 2PR / (P + R);
 * 0 when either side has no tokens. No params. expected: see referenceTexts; with several references the best F counts; null scores 0.
 */
// Written by hand: no npm package reproduces rouge-score's tokenizer and scores exactly.
import { bestOver, referenceTexts } from './expected.js';
import { noParams, type ParamsCheck } from './params.js';

export type RougeLParams = Record<string, never>;

export function checkRougeLParams(params: unknown): ParamsCheck<RougeLParams> {
  return noParams(params, 'ROUGE_L');
}

/** rouge-score's tokenize.tokenize without a stemmer. */
export function rougeTokens(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(' ')
    .filter((token) => token.length > 0);
}

export interface RougeLScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

/** rouge-score's _score_lcs(target, prediction). */
export function rougeL(target: string, prediction: string): RougeLScore {
  const targetTokens = rougeTokens(target);
  const predictionTokens = rougeTokens(prediction);
  if (targetTokens.length === 0 || predictionTokens.length === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  const lcs = lcsLength(targetTokens, predictionTokens);
  const precision = lcs / predictionTokens.length;
  const recall = lcs / targetTokens.length;
  const fmeasure = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, fmeasure };
}

// One row of the LCS table at a time: only its last cell is needed.
function lcsLength(a: readonly string[], b: readonly string[]): number {
  let previous = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const current = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++) {
      current[j] = a[i - 1] === b[j - 1] ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
    }
    previous = current;
  }
  return previous[b.length];
}

export function scoreRougeL(output: string, expected: unknown): number {
  return bestOver(referenceTexts(expected), (reference) => rougeL(reference, output).fmeasure);
}
