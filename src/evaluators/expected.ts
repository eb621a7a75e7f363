/** How a dataset row's `expected` value (any JSON value) becomes the reference texts an evaluator compares against. */

/**
 * A string is one reference; a number or boolean is its JSON text (`42`, `true`); an array is several
 * references (each element read the same way, nested arrays flattened); an object is its JSON text;
 * null or undefined is no reference, so every text evaluator scores 0.
 */
export function referenceTexts(expected: unknown): string[] {
  if (expected === null || expected === undefined) return [];
  if (typeof expected === 'string') return [expected];
  if (Array.isArray(expected)) return expected.flatMap(referenceTexts);
  if (typeof expected === 'number' || typeof expected === 'boolean' || typeof expected === 'object') return [JSON.stringify(expected)];
  return [];
}

/** The best score over the references, 0 when there are none. */
export function bestOver(references: readonly string[], score: (reference: string) => number): number {
  let best = 0;
  for (const reference of references) best = Math.max(best, score(reference));
  return best;
}
