import DataLoader from 'dataloader';

/**
 * Dispatch once the current macrotask is done: middleware adds awaits of varying depth between
 * sibling resolvers, and DataLoader's default (end of the microtask queue) can split one level's
 * keys over two queries.
 */
export const afterCurrentTask = (dispatch: () => void) => setImmediate(dispatch);

/**
 * A DataLoader that hands out one promise per key for the whole request, and one promise per key
 * and `build` for `loadAs`. DataLoader 2 answers each repeated key (a page naming four models from
 * a hundred runs) with a new promise that resolves to the cached one: two closures and three
 * microtasks per hit, where a promise already made costs a Map lookup. The promises here are the
 * cache: DataLoader's own is off (`cache: false`), so a key is turned into its cache key once and
 * kept in one Map, not two. Batching, scheduling and batch errors are DataLoader's (a failed batch
 * clears its keys, so the next load asks again); `prime`, `clear` and `clearAll` work on this cache
 * as DataLoader's do on its own.
 */
export class Loader<K, V, C = K> extends DataLoader<K, V, C> {
  private readonly promises = new Map<C | K, Promise<V>>();
  private readonly built = new Map<(value: V) => unknown, Map<C | K, Promise<unknown>>>();
  private readonly keyOf: (key: K) => C | K;

  constructor(batch: DataLoader.BatchLoadFn<K, V>, options: Omit<DataLoader.Options<K, V, C>, 'cache' | 'cacheMap'> = {}) {
    super(batch, { ...options, cache: false, batchScheduleFn: options.batchScheduleFn ?? afterCurrentTask });
    this.keyOf = options.cacheKeyFn ?? ((key) => key);
  }

  override load(key: K): Promise<V> {
    const cacheKey = this.keyOf(key);
    let promise = this.promises.get(cacheKey);
    if (promise === undefined) {
      promise = super.load(key);
      this.promises.set(cacheKey, promise);
    }
    return promise;
  }

  /** The value of `key` built by `build` (a node type's `fromRow`), one promise per key and build. */
  loadAs<T>(key: K, build: (value: V) => T): Promise<T> {
    let promises = this.built.get(build) as Map<C | K, Promise<T>> | undefined;
    if (promises === undefined) this.built.set(build, (promises = new Map()));
    const cacheKey = this.keyOf(key);
    let promise = promises.get(cacheKey);
    if (promise === undefined) {
      promise = this.load(key).then(build);
      promises.set(cacheKey, promise);
    }
    return promise;
  }

  /** As DataLoader's: a key already asked keeps its value; an Error primes a rejection. A primed key is answered without a batch. */
  override prime(key: K, value: V | PromiseLike<V> | Error): this {
    const cacheKey = this.keyOf(key);
    if (!this.promises.has(cacheKey)) {
      let promise: Promise<V>;
      if (value instanceof Error) {
        promise = Promise.reject(value);
        promise.catch(() => {}); // primed on purpose: not an unhandled rejection
      } else {
        promise = Promise.resolve(value);
      }
      this.promises.set(cacheKey, promise);
    }
    return this;
  }

  override clear(key: K): this {
    const cacheKey = this.keyOf(key);
    this.promises.delete(cacheKey);
    for (const promises of this.built.values()) promises.delete(cacheKey);
    return this;
  }

  override clearAll(): this {
    this.promises.clear();
    this.built.clear();
    return this;
  }
}

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
): Loader<K, V, unknown> {
  return new Loader<K, V, unknown>(
    async (keys) => {
      const found = new Map<unknown, V>();
      for (const row of await fetch(keys)) found.set(cacheKey(keyOf(row)), valueOf(row));
      return keys.map((key) => (found.has(cacheKey(key)) ? found.get(cacheKey(key))! : missing(key)));
    },
    { cacheKeyFn: cacheKey },
  );
}

/** Loader of rows by primary key; a missing row (absent, or in another project) is the given Error. */
export function rowsById<Row extends { id: string }>(
  fetch: (ids: readonly string[]) => Promise<Row[]>,
  missing: (id: string) => Error,
): Loader<string, Row, unknown> {
  return batchLoader(fetch, (row) => row.id, (row) => row, missing);
}

/**
 * The values of `keys`, built by `build`, in key order; when keys have no value, it rejects with
 * the Error of one of them (the first to settle, which may not be the first in key order).
 * DataLoader's `loadMany` adds a caught promise per key to return errors in place, which a field
 * that fails on any missing key does not need.
 */
export function loadAll<K, V, T>(loader: Loader<K, V, unknown>, keys: readonly K[], build: (value: V) => T): Promise<T[]> {
  // One key (a run of one model): a list of its value, without Promise.all's array, element functions and second promise.
  if (keys.length === 1) return loader.loadAs(keys[0]!, build).then(listOfOne);
  return Promise.all(keys.map((key) => loader.loadAs(key, build)));
}

const listOfOne = <T>(value: T): T[] => [value];
