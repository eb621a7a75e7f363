/**
 * BLEU: sentence BLEU, 0..100, as sacreBLEU's `sentence_bleu(output, references)` computes it by default:
 * 13a tokenizer, case-sensitive, n-grams up to 4, smooth_method='exp', use_effective_order=True, closest reference length.
 * No params. expected: see referenceTexts; several references are pooled as sacreBLEU does (max count per n-gram); null scores 0.
 */
// Written by hand: no npm package reproduces sacreBLEU's tokenizer and smoothing exactly.
import { referenceTexts } from './expected.js';
import { noParams, type ParamsCheck } from './params.js';
import { splitWhitespace, stripTrailingWhitespace } from './python-text.js';

export type BleuParams = Record<string, never>;

export function checkBleuParams(params: unknown): ParamsCheck<BleuParams> {
  return noParams(params, 'BLEU');
}

const MAX_ORDER = 4;

/** sacreBLEU's Tokenizer13a (with TokenizerRegexp), applied after `line.rstrip()` as BLEU._preprocess_segment does. */
export function tokenize13a(line: string): string[] {
  let text = stripTrailingWhitespace(line).replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (text.includes('&')) {
    text = text.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  }
  text = ` ${text} `
    .replace(/([{-~[-` -&(-+:-@/])/g, ' $1 ')
    .replace(/([^0-9])([.,])/g, '$1 $2 ')
    .replace(/([.,])([^0-9])/g, ' $1 $2')
    .replace(/([0-9])(-)/g, '$1 $2 ');
  return splitWhitespace(text);
}

function ngramCounts(tokens: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (let n = 1; n <= MAX_ORDER; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      // Tokens never contain whitespace, so a space-joined key is unambiguous; the order is its word count.
      const key = tokens.slice(i, i + n).join(' ');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

export interface BleuStatistics {
  hypothesisLength: number;
  referenceLength: number;
  correct: number[];
  total: number[];
}

/** sacreBLEU's BLEU._extract_reference_info + _compute_segment_statistics for one hypothesis. */
export function bleuStatistics(hypothesis: string, references: readonly string[]): BleuStatistics {
  const referenceCounts = new Map<string, number>();
  const referenceLengths: number[] = [];
  for (const reference of references) {
    const tokens = tokenize13a(reference);
    referenceLengths.push(tokens.length);
    for (const [ngram, count] of ngramCounts(tokens)) referenceCounts.set(ngram, Math.max(referenceCounts.get(ngram) ?? 0, count));
  }
  const hypothesisTokens = tokenize13a(hypothesis);
  const correct = new Array<number>(MAX_ORDER).fill(0);
  const total = new Array<number>(MAX_ORDER).fill(0);
  for (const [ngram, count] of ngramCounts(hypothesisTokens)) {
    const order = ngram.split(' ').length - 1;
    total[order] += count;
    correct[order] += Math.min(count, referenceCounts.get(ngram) ?? 0);
  }
  return {
    hypothesisLength: hypothesisTokens.length,
    referenceLength: closestReferenceLength(hypothesisTokens.length, referenceLengths),
    correct,
    total,
  };
}

// Ties go to the shorter reference, as in sacreBLEU's _get_closest_ref_len.
function closestReferenceLength(hypothesisLength: number, referenceLengths: readonly number[]): number {
  let closest = -1;
  let closestDiff = -1;
  for (const length of referenceLengths) {
    const diff = Math.abs(hypothesisLength - length);
    if (closestDiff === -1 || diff < closestDiff || (diff === closestDiff && length < closest)) {
      closestDiff = diff;
      closest = length;
    }
  }
  return closest;
}

/** sacreBLEU's BLEU.compute_bleu with smooth_method='exp' and effective_order=True. */
export function bleuFromStatistics(stats: BleuStatistics): number {
  const { hypothesisLength, referenceLength, correct, total } = stats;
  let brevityPenalty = 1;
  if (hypothesisLength < referenceLength) brevityPenalty = hypothesisLength > 0 ? Math.exp(1 - referenceLength / hypothesisLength) : 0;
  if (!correct.some((count) => count > 0)) return 0;
  const precisions = new Array<number>(MAX_ORDER).fill(0);
  let smooth = 1;
  let effectiveOrder = MAX_ORDER;
  for (let n = 1; n <= MAX_ORDER; n++) {
    if (total[n - 1] === 0) break;
    effectiveOrder = n;
    if (correct[n - 1] === 0) {
      smooth *= 2;
      precisions[n - 1] = 100 / (smooth * total[n - 1]);
    } else {
      precisions[n - 1] = (100 * correct[n - 1]) / total[n - 1];
    }
  }
  let logSum = 0;
  for (const precision of precisions.slice(0, effectiveOrder)) logSum += Math.log(precision);
  return brevityPenalty * Math.exp(logSum / effectiveOrder);
}

export function scoreBleu(output: string, expected: unknown): number {
  const references = referenceTexts(expected);
  if (references.length === 0) return 0;
  return bleuFromStatistics(bleuStatistics(output, references));
}
