import DataLoader from 'dataloader';

/**
 * Dispatch once the current macrotask is done: middleware adds awaits of varying depth between
 * sibling resolvers, and DataLoader's default (end of the microtask queue) can split one level's
 * keys over two queries.
 */
export const afterCurrentTask = (dispatch: () => void) => setImmediate(dispatch);

/**
 * A loader answering keys in key order from one batched fetch; a key with no row gets
 * `missing(key)` in its slot (an Error for entity loaders, a default value for counts).
 */
export function batchLoader<K, V, R = V>(
  fetch: (keys: readonly K[]) => Promise<R[]>,
  keyOf: (row: R) => K,
  valueOf: (row: R) => V,
  missing: (key: K) => V | Error,
  cacheKey: (key: K) => unknown = (key) => key,
): DataLoader<K, V, unknown> {
  return new DataLoader<K, V, unknown>(
    async (keys) => {
      const found = new Map<unknown, V>();
      for (const row of await fetch(keys)) found.set(cacheKey(keyOf(row)), valueOf(row));
      return keys.map((key) => (found.has(cacheKey(key)) ? found.get(cacheKey(key))! : missing(key)));
    },
    { cacheKeyFn: cacheKey, batchScheduleFn: afterCurrentTask },
  );
}

/** Loader of rows by primary key; a missing row (absent, or in another project) is the given Error. */
export function rowsById<Row extends { id: string }>(
  fetch: (ids: readonly string[]) => Promise<Row[]>,
  missing: (id: string) => Error,
): DataLoader<string, Row, unknown> {
  return batchLoader(fetch, (row) => row.id, (row) => row, missing);
}

/**
 * The values of `keys`, built by `build`, in key order; when keys have no value, it rejects with
 * the Error of one of them (the first to settle, which may not be the first in key order).
 * DataLoader's `loadMany` adds a caught promise per key to return errors in place, which a field
 * that fails on any missing key does not need.
 */
export function loadAll<K, V, T>(loader: DataLoader<K, V, unknown>, keys: readonly K[], build: (value: V) => T): Promise<T[]> {
  return Promise.all(keys.map((key) => loader.load(key))).then((values) => values.map((value) => build(value)));
}
