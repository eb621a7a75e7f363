/**
 * TOKEN_F1: token-level F1 between the output and a reference, 0..1, as the SQuAD v1.1 evaluation script computes it:
 * both normalized (lowercase, ASCII punctuation removed, articles a/an/the removed, whitespace collapsed), then F1 of the
 * multiset of shared tokens; 0 when nothing is shared (so two empty answers score 0, as in v1.1). No params.
 * expected: see referenceTexts; with several references the best F1 counts, as SQuAD's metric_max_over_ground_truths does; null scores 0.
 */
import { bestOver, referenceTexts } from './expected.js';
import { noParams, type ParamsCheck } from './params.js';
import { splitWhitespace } from './python-text.js';

export type TokenF1Params = Record<string, never>;

export function checkTokenF1Params(params: unknown): ParamsCheck<TokenF1Params> {
  return noParams(params, 'TOKEN_F1');
}

// Python's string.punctuation: the ASCII punctuation characters only.
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
// Python's \b is Unicode-aware for str patterns; JavaScript's is ASCII-only, hence the lookarounds.
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

export function normalizeAnswer(text: string): string {
  return splitWhitespace(text.toLowerCase().replace(PUNCTUATION, '').replace(ARTICLES, ' ')).join(' ');
}

export function tokenF1(prediction: string, groundTruth: string): number {
  const predictionTokens = splitWhitespace(normalizeAnswer(prediction));
  const truthTokens = splitWhitespace(normalizeAnswer(groundTruth));
  const truthCounts = new Map<string, number>();
  for (const token of truthTokens) truthCounts.set(token, (truthCounts.get(token) ?? 0) + 1);
  let same = 0;
  for (const token of predictionTokens) {
    const left = truthCounts.get(token) ?? 0;
    if (left > 0) {
      same += 1;
      truthCounts.set(token, left - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / predictionTokens.length;
  const recall = same / truthTokens.length;
  return (2 * precision * recall) / (precision + recall);
}

export function scoreTokenF1(output: string, expected: unknown): number {
  return bestOver(referenceTexts(expected), (reference) => tokenF1(output, reference));
}
