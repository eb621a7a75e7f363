import { describe, expect, it } from 'vitest';
import { compareRuns, type Pair } from '../../src/stats/compare.js';
import { xoshiro128 } from '../../src/stats/random.js';

const pairsOf = (baseline: number[], candidate: number[]): Pair[] => baseline.map((b, i) => ({ baseline: b, candidate: candidate[i]! }));

// Standard normal deviates by Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
function normal(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

describe('compareRuns: paired t-test', () => {
  it('matches R on Student\'s sleep data', () => {
    // R datasets::sleep (Cushny and Peebles 1905); its help page's example t.test(extra ~ group, paired = TRUE) prints t = -4.0621, df = 9, p-value = 0.002833 (quoted in "R For Dummies", Meys and de Vries).
    const group1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
    const group2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];
    const c = compareRuns(pairsOf(group2, group1), { seed: 1 });
    expect(c.delta).toBeCloseTo(-1.58, 12);
    expect(c.t).toBeCloseTo(-4.0621, 4);
    expect(c.df).toBe(9);
    expect(c.pValue).toBeCloseTo(0.002833, 6);
  });

  it('matches R on a second published example', () => {
    // tidystat.com "Paired t-test in R": t.test(Exam1, Exam2, paired = TRUE) gives t = -2.2361, df = 5, p-value = 0.07559.
    const c = compareRuns(pairsOf([75, 71, 90, 98, 65, 99], [65, 70, 75, 80, 68, 95]), { seed: 1 });
    expect(c.t).toBeCloseTo(-2.2361, 4);
    expect(c.pValue).toBeCloseTo(0.07559, 5);
  });

  it('gives p = 1 for identical runs and p = 0 for a constant nonzero shift', () => {
    const same = compareRuns(pairsOf([0.1, 0.7, 0.3], [0.1, 0.7, 0.3]), { seed: 1 });
    expect(same.pValue).toBe(1);
    expect(same.delta).toBe(0);
    expect(same.ci).toMatchObject({ low: 0, high: 0 });
    const shifted = compareRuns(pairsOf([1, 2, 3, 4], [3, 4, 5, 6]), { seed: 1 });
    expect(shifted.pValue).toBe(0);
    expect(shifted.t).toBeNull();
    expect(shifted.ci).toMatchObject({ low: 2, high: 2 });
  });

  it('gives p < 0.01 for a clear regression', () => {
    const noise = normal(xoshiro128(7));
    const baseline = Array.from({ length: 40 }, () => 0.8 + 0.05 * noise());
    const candidate = baseline.map((b) => b - 0.1 + 0.05 * noise());
    const c = compareRuns(pairsOf(baseline, candidate), { seed: 1 });
    expect(c.pValue).toBeLessThan(0.01);
    expect(c.ci.high).toBeLessThan(0);
    expect(c.regressed).toBeGreaterThan(c.improved);
  });

  it('has no p-value with one pair', () => {
    const c = compareRuns([{ baseline: 1, candidate: 2 }], { seed: 1 });
    expect(c).toMatchObject({ pairs: 1, delta: 1, t: null, pValue: null, df: 0, ci: { low: 1, high: 1 } });
  });
});

describe('compareRuns: counts', () => {
  it('counts improved, regressed and unchanged pairs with an epsilon', () => {
    const pairs = pairsOf([1, 1, 1, 1, 1], [1.05, 0.95, 1.2, 0.7, 1]);
    expect(compareRuns(pairs, { seed: 1 })).toMatchObject({ pairs: 5, improved: 2, regressed: 2, unchanged: 1 });
    expect(compareRuns(pairs, { seed: 1, epsilon: 0.1 })).toMatchObject({ improved: 1, regressed: 1, unchanged: 3 });
  });

  it('refuses empty input and bad options', () => {
    expect(() => compareRuns([], { seed: 1 })).toThrow(RangeError);
    expect(() => compareRuns([{ baseline: 1, candidate: Number.NaN }], { seed: 1 })).toThrow(/candidate\[0\]/);
    expect(() => compareRuns([{ baseline: 1, candidate: 2 }], { seed: 1, resamples: 0 })).toThrow(RangeError);
    expect(() => compareRuns([{ baseline: 1, candidate: 2 }], { seed: 1, confidence: 1 })).toThrow(RangeError);
    expect(() => compareRuns([{ baseline: 1, candidate: 2 }], { seed: 1.5 })).toThrow(RangeError);
  });
});

describe('compareRuns: bootstrap interval', () => {
  const noise = normal(xoshiro128(42));
  const baseline = Array.from({ length: 60 }, () => 0.6 + 0.2 * noise());
  const typical = pairsOf(
    baseline,
    baseline.map((b) => b + 0.03 + 0.1 * noise()),
  );

  it('is the same for the same seed and differs for another seed', () => {
    const a = compareRuns(typical, { seed: 123 });
    const b = compareRuns(typical, { seed: 123 });
    expect(b.ci).toEqual(a.ci);
    expect(compareRuns(typical, { seed: 124 }).ci).not.toEqual(a.ci);
  });

  it('contains the observed delta, is about as wide as the t interval, and keeps its settings', () => {
    const c = compareRuns(typical, { seed: 9 });
    expect(c.ci.low).toBeLessThan(c.delta);
    expect(c.ci.high).toBeGreaterThan(c.delta);
    expect(c.ci).toMatchObject({ confidence: 0.95, resamples: 10_000 });
    // For near-normal differences the bootstrap and t half-widths agree within a few percent; 15% leaves room for n = 60.
    // |delta / t| is the standard error; t_{0.975, 59} = 2.001.
    const tHalfWidth = Math.abs(c.delta / c.t!) * 2.001;
    expect((c.ci.high - c.ci.low) / 2 / tHalfWidth).toBeGreaterThan(0.85);
    expect((c.ci.high - c.ci.low) / 2 / tHalfWidth).toBeLessThan(1.15);
    const narrower = compareRuns(typical, { seed: 9, confidence: 0.8 });
    expect(narrower.ci.high - narrower.ci.low).toBeLessThan(c.ci.high - c.ci.low);
  });

  it('covers the true mean difference about 95% of the time (simulation)', () => {
    // 400 trials: the binomial sd of the coverage at 0.95 is sqrt(0.95 * 0.05 / 400) ≈ 0.011, so ±0.035 is about ±3 sd; the seeds are fixed, so the result cannot flake.
    const trials = 400;
    const n = 50;
    const trueDelta = 0.3;
    const draw = normal(xoshiro128(2024));
    let covered = 0;
    for (let trial = 0; trial < trials; trial++) {
      const pairs = Array.from({ length: n }, () => ({ baseline: 0, candidate: trueDelta + draw() }));
      const { ci } = compareRuns(pairs, { seed: trial, resamples: 1_000 });
      if (ci.low <= trueDelta && trueDelta <= ci.high) covered++;
    }
    expect(Math.abs(covered / trials - 0.95)).toBeLessThanOrEqual(0.035);
  });
});
