import { describe, expect, it } from 'vitest';
import { regularizedIncompleteBeta, studentTCdf, studentTQuantile, studentTTwoSidedTail } from '../../src/stats/t-distribution.js';

describe('Student t quantile', () => {
  // Two-sided 95% critical values to 4 decimals; they agree with scipy.stats.t.ppf(0.975, df) (scipy 1.17.1).
  const table4: [number, number][] = [
    [1, 12.7062],
    [2, 4.3027],
    [5, 2.5706],
    [10, 2.2281],
    [30, 2.0423],
    [100, 1.984],
    [1000, 1.9623],
  ];
  it.each(table4)('t_0.975 with df = %i is %f to 4 decimals', (df, expected) => {
    expect(studentTQuantile(0.975, df)).toBeCloseTo(expected, 4);
  });

  // NIST/SEMATECH e-Handbook of Statistical Methods, 1.3.6.7.2 "Critical Values of the Student's t Distribution" (upper tail 0.025 and 0.005, 3 decimals).
  const nist: [number, number, number][] = [
    [1, 12.706, 63.657],
    [2, 4.303, 9.925],
    [5, 2.571, 4.032],
    [10, 2.228, 3.169],
    [30, 2.042, 2.75],
    [100, 1.984, 2.626],
  ];
  it.each(nist)('matches the NIST table for df = %i', (df, t975, t995) => {
    expect(studentTQuantile(0.975, df)).toBeCloseTo(t975, 3);
    expect(studentTQuantile(0.995, df)).toBeCloseTo(t995, 3);
  });

  it('is symmetric, 0 at the median, tends to the normal quantile, and inverts the CDF', () => {
    expect(studentTQuantile(0.5, 7)).toBe(0);
    expect(studentTQuantile(0.025, 10)).toBeCloseTo(-studentTQuantile(0.975, 10), 12);
    expect(studentTQuantile(0.975, 1e7)).toBeCloseTo(1.959964, 5);
    for (const df of [1, 3, 29, 500]) {
      for (const p of [1e-6, 0.01, 0.3, 0.9, 0.999999]) {
        expect(studentTCdf(studentTQuantile(p, df), df)).toBeCloseTo(p, 12);
      }
    }
  });

  it('has the closed forms of df = 1 (Cauchy) and df = 2', () => {
    // df = 1: F^-1(p) = tan(pi (p - 1/2)); df = 2: F^-1(p) = (2p - 1) / sqrt(2p(1 - p)).
    for (const p of [0.6, 0.9, 0.99, 0.9999]) {
      // Relative error: the quantile is in the thousands at p = 0.9999.
      expect(studentTQuantile(p, 1) / Math.tan(Math.PI * (p - 0.5)) - 1).toBeCloseTo(0, 10);
      expect(studentTQuantile(p, 2) / ((2 * p - 1) / Math.sqrt(2 * p * (1 - p))) - 1).toBeCloseTo(0, 10);
    }
  });

  it('refuses arguments outside the domain', () => {
    expect(() => studentTQuantile(0, 5)).toThrow(RangeError);
    expect(() => studentTQuantile(1, 5)).toThrow(RangeError);
    expect(() => studentTQuantile(0.9, 0)).toThrow(RangeError);
    expect(() => studentTTwoSidedTail(Number.NaN, 5)).toThrow(RangeError);
  });
});

describe('regularized incomplete beta', () => {
  it('matches closed forms', () => {
    // I_x(1, b) = 1 - (1 - x)^b and I_x(a, 1) = x^a.
    expect(regularizedIncompleteBeta(0.3, 1, 4)).toBeCloseTo(1 - 0.7 ** 4, 14);
    expect(regularizedIncompleteBeta(0.8, 5, 1)).toBeCloseTo(0.8 ** 5, 14);
    // I_0.3(2, 5) = P(Binomial(6, 0.3) >= 2) = 1 - 0.7^6 - 6 * 0.3 * 0.7^5.
    expect(regularizedIncompleteBeta(0.3, 2, 5)).toBeCloseTo(1 - 0.7 ** 6 - 6 * 0.3 * 0.7 ** 5, 14);
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1);
  });
});
