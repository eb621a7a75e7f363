/**
 * Paired comparison of two runs over the same items: pair i is the metric of item i under the
 * baseline and under the candidate, and everything is computed on the differences
 * d_i = candidate_i - baseline_i.
 *
 * - `delta` is the mean of the differences (equal to the difference of the means).
 * - `ci` is a paired bootstrap interval of the mean difference, percentile method: `resamples`
 *   times, draw n pairs with replacement and take their mean difference; the bounds are the
 *   (1 - confidence)/2 and (1 + confidence)/2 type 7 quantiles of those means. The PRNG is seeded
 *   (xoshiro128**, ./random.ts), so the same pairs, seed and resamples give the same interval.
 *   The percentile interval is slightly narrow for small n (coverage below nominal); it needs
 *   no normality, which per-item LLM metrics (0/1 scores, skewed latencies) seldom have.
 * - `pValue` is the two-sided paired t-test (a one-sample t-test of the d_i against 0, df = n - 1),
 *   as R's `t.test(paired = TRUE)` and scipy's `ttest_rel`. When the differences have no spread the
 *   statistic is 0/0 or x/0, so those cases are decided explicitly: all differences zero gives
 *   p = 1 (nothing changed), all equal to the same nonzero value gives p = 0 (a perfectly consistent
 *   shift); `t` is null in both. With one pair there are no degrees of freedom and `t` and
 *   `pValue` are null.
 * - `improved` / `regressed` / `unchanged` count pairs with d_i > epsilon, d_i < -epsilon, and
 *   |d_i| <= epsilon: "improved" means the candidate is higher, so for a metric where lower is
 *   better (latency, cost) read them swapped.
 */
import { xoshiro128 } from './random.js';
import { checkFinite, mean, quantileSorted, sampleStddev, type Interval } from './summarize.js';
import { studentTTwoSidedTail } from './t-distribution.js';

export interface Pair {
  baseline: number;
  candidate: number;
}

export interface CompareOptions {
  seed: number;
  /** Bootstrap resamples; 10,000 by default. */
  resamples?: number;
  /** Confidence level of `ci`; 0.95 by default. */
  confidence?: number;
  /** Largest |difference| still counted as unchanged; 0 by default. */
  epsilon?: number;
}

export interface Comparison {
  pairs: number;
  baselineMean: number;
  candidateMean: number;
  delta: number;
  ci: Interval & { confidence: number; resamples: number };
  t: number | null;
  df: number;
  pValue: number | null;
  improved: number;
  regressed: number;
  unchanged: number;
}

export function compareRuns(pairs: readonly Pair[], options: CompareOptions): Comparison {
  const { seed, resamples = 10_000, confidence = 0.95, epsilon = 0 } = options;
  const n = pairs.length;
  if (n === 0) throw new RangeError('compareRuns needs at least one pair');
  if (!Number.isSafeInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be a positive integer (got ${resamples})`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1) (got ${confidence})`);
  if (!(epsilon >= 0) || !Number.isFinite(epsilon)) throw new RangeError(`epsilon must be a finite number >= 0 (got ${epsilon})`);
  const baseline = pairs.map((p) => p.baseline);
  const candidate = pairs.map((p) => p.candidate);
  checkFinite(baseline, 'baseline');
  checkFinite(candidate, 'candidate');

  const differences = new Float64Array(n);
  let improved = 0;
  let regressed = 0;
  for (let i = 0; i < n; i++) {
    const d = candidate[i]! - baseline[i]!;
    differences[i] = d;
    if (d > epsilon) improved++;
    else if (d < -epsilon) regressed++;
  }
  const delta = mean(differences);

  const random = xoshiro128(seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += differences[Math.floor(random() * n)]!;
    means[r] = sum / n;
  }
  means.sort();
  const alpha = 1 - confidence;

  const { t, pValue } = pairedTTest(differences, delta);
  return {
    pairs: n,
    baselineMean: mean(baseline),
    candidateMean: mean(candidate),
    delta,
    ci: { low: quantileSorted(means, alpha / 2), high: quantileSorted(means, 1 - alpha / 2), confidence, resamples },
    t,
    df: n - 1,
    pValue,
    improved,
    regressed,
    unchanged: n - improved - regressed,
  };
}

function pairedTTest(differences: Float64Array, delta: number): { t: number | null; pValue: number | null } {
  const n = differences.length;
  if (n < 2) return { t: null, pValue: null };
  // Compare exactly rather than test the variance: the mean of equal values can round, leaving a tiny spurious spread.
  const first = differences[0]!;
  if (differences.every((d) => d === first)) {
    return { t: null, pValue: first === 0 ? 1 : 0 };
  }
  const t = delta / (sampleStddev(differences, delta) / Math.sqrt(n));
  return { t, pValue: studentTTwoSidedTail(t, n - 1) };
}
