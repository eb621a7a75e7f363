import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/stats/summarize.js';

describe('summarize', () => {
  it('computes exact values on a small sample', () => {
    // Sorted: 2 4 4 4 5 5 7 9; mean 5, squared deviations sum to 32, so sample variance 32/7.
    const s = summarize([5, 2, 9, 4, 7, 4, 5, 4]);
    expect(s.count).toBe(8);
    expect(s.mean).toBe(5);
    expect(s.stddev).toBeCloseTo(Math.sqrt(32 / 7), 14);
    expect(s.min).toBe(2);
    expect(s.max).toBe(9);
    // numpy linear (type 7): h = 7p; p50 h=3.5 -> 4 + 0.5*(5-4); p90 h=6.3 -> 7 + 0.3*(9-7); p95 h=6.65; p99 h=6.93.
    expect(s.p50).toBeCloseTo(4.5, 14);
    expect(s.p90).toBeCloseTo(7.6, 14);
    expect(s.p95).toBeCloseTo(8.3, 14);
    expect(s.p99).toBeCloseTo(8.86, 14);
    // t_{0.975, 7} = 2.364624 (NIST table: 2.365); half-width = 2.364624 * sqrt(32/7) / sqrt(8) = 2.364624 * sqrt(4/7).
    const halfWidth = 2.364624252 * Math.sqrt(4 / 7);
    expect(s.ci95!.low).toBeCloseTo(5 - halfWidth, 8);
    expect(s.ci95!.high).toBeCloseTo(5 + halfWidth, 8);
  });

  it('sorts numerically, not as strings', () => {
    const s = summarize([10, 9, 100]);
    expect([s.min, s.p50, s.max]).toEqual([9, 10, 100]);
  });

  it('interpolates quantiles between two values and hits the ends exactly', () => {
    // h = p for n = 2: p90 = 0 + 0.9 * 10.
    const s = summarize([10, 0]);
    expect(s.p50).toBe(5);
    expect(s.p90).toBeCloseTo(9, 14);
    expect(s.p99).toBeCloseTo(9.9, 14);
    // t_{0.975, 1} = 12.7062; sd = sqrt(50), so half-width = 12.7062 * sqrt(50) / sqrt(2) = 12.7062 * 5.
    expect(s.ci95!.high - 5).toBeCloseTo(12.7062047 * 5, 5);
  });

  it('gives a t interval equal to R for the differences of a published paired example', () => {
    // tidystat.com "Paired t-test in R": Exam1 - Exam2 = -10 -1 -15 -18 3 -4; R reports the 95% CI -16.121994 1.121994.
    const s = summarize([65 - 75, 70 - 71, 75 - 90, 80 - 98, 68 - 65, 95 - 99]);
    expect(s.mean).toBe(-7.5);
    expect(s.ci95!.low).toBeCloseTo(-16.121994, 6);
    expect(s.ci95!.high).toBeCloseTo(1.121994, 6);
  });

  it('has no spread and no interval for one value, and only a count for none', () => {
    expect(summarize([3])).toEqual({ count: 1, mean: 3, stddev: null, min: 3, max: 3, p50: 3, p90: 3, p95: 3, p99: 3, ci95: null });
    expect(summarize([])).toEqual({ count: 0, mean: null, stddev: null, min: null, max: null, p50: null, p90: null, p95: null, p99: null, ci95: null });
  });

  it('gives a zero-width interval for constant values', () => {
    const s = summarize([2, 2, 2, 2]);
    expect(s.stddev).toBe(0);
    expect(s.ci95).toEqual({ low: 2, high: 2 });
  });

  it('refuses NaN and infinities', () => {
    expect(() => summarize([1, Number.NaN])).toThrow(/values\[1\]/);
    expect(() => summarize([Infinity])).toThrow(RangeError);
  });
});
