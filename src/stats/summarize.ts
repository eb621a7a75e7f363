/**
 * Summary of a sample of numbers (a metric over the items of a run).
 *
 * - `stddev` is the sample standard deviation (divisor n - 1). It is `null` for n < 2, where it is
 *   undefined, rather than 0, which would claim a spread of nothing was measured.
 * - Quantiles use linear interpolation between order statistics, Hyndman and Fan's type 7: numpy's
 *   default (`method='linear'`), R's default, Excel's PERCENTILE.INC. For level p over the sorted
 *   values x[0..n-1], h = (n - 1) p and q = x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]).
 *   ClickHouse's `quantileExactInclusive` is the same formula and gives the same numbers.
 *   ClickHouse's `quantileExact` does not interpolate: it returns one of the values (the element at
 *   index floor(n p) of the sorted data, so the upper median for even n), and `quantile`,
 *   `quantileTDigest` are approximate (sampling, sketches); on small samples these differ from here.
 * - `ci95` is the 95% confidence interval of the mean with Student's t:
 *   mean ± t_{0.975, n-1} · stddev / sqrt(n); `null` for n < 2.
 * - An empty sample has count 0 and every other field `null`. NaN or infinite values are refused.
 */
import { studentTQuantile } from './t-distribution.js';

export interface Interval {
  low: number;
  high: number;
}

export interface Summary {
  count: number;
  mean: number | null;
  stddev: number | null;
  min: number | null;
  max: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  ci95: Interval | null;
}

export function checkFinite(values: readonly number[], what: string) {
  for (const [i, v] of values.entries()) {
    if (!Number.isFinite(v)) throw new RangeError(`${what}[${i}] is not a finite number (got ${v})`);
  }
}

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/** Sample standard deviation (n - 1), two-pass for accuracy; needs n >= 2. */
export function sampleStddev(values: ArrayLike<number>, valuesMean: number): number {
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i]! - valuesMean) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

/** Type 7 (linear) quantile of values already sorted ascending; needs n >= 1 and 0 <= p <= 1. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const h = (sorted.length - 1) * p;
  const below = Math.floor(h);
  const lower = sorted[below]!;
  if (below + 1 >= sorted.length) return lower;
  return lower + (h - below) * (sorted[below + 1]! - lower);
}

/** The t interval of the mean at the given confidence level; needs n >= 2. */
export function tInterval(valuesMean: number, stddev: number, n: number, confidence: number): Interval {
  const halfWidth = (studentTQuantile(1 - (1 - confidence) / 2, n - 1) * stddev) / Math.sqrt(n);
  return { low: valuesMean - halfWidth, high: valuesMean + halfWidth };
}

export function summarize(values: readonly number[]): Summary {
  checkFinite(values, 'values');
  const n = values.length;
  if (n === 0) {
    return { count: 0, mean: null, stddev: null, min: null, max: null, p50: null, p90: null, p95: null, p99: null, ci95: null };
  }
  // Float64Array sorts numerically, where Array.prototype.sort would compare strings.
  const sorted = Float64Array.from(values).sort();
  const m = mean(sorted);
  const stddev = n >= 2 ? sampleStddev(sorted, m) : null;
  return {
    count: n,
    mean: m,
    stddev,
    min: sorted[0]!,
    max: sorted[n - 1]!,
    p50: quantileSorted(sorted, 0.5),
    p90: quantileSorted(sorted, 0.9),
    p95: quantileSorted(sorted, 0.95),
    p99: quantileSorted(sorted, 0.99),
    ci95: stddev === null ? null : tInterval(m, stddev, n, 0.95),
  };
}
