export { compareRuns, type Comparison, type CompareOptions, type Pair } from './compare.js';
export { xoshiro128 } from './random.js';
export { summarize, type Interval, type Summary } from './summarize.js';
export { regularizedIncompleteBeta, studentTCdf, studentTQuantile, studentTTwoSidedTail } from './t-distribution.js';
