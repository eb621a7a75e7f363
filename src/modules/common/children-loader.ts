import { Loader } from './loaders.js';

export interface ParentKey<A> {
  parentId: string;
  /** Filter and cursor arguments; keys with equal args are fetched in one query. */
  args: A;
  /** The most children wanted (all when absent); keys that differ only in limit share one query at the largest. */
  limit?: number;
}

const largest = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : Math.max(a, b));

const argsKeys = new WeakMap<object, string>();
/**
 * The text that tells apart the args of two keys: their JSON, kept per args object, so a resolver
 * that passes one constant object for its common case (a first page without filters) has it
 * serialised once, not once per parent and again in the batch. Args are never changed after a load.
 */
export function argsKeyOf(args: unknown): string {
  if (typeof args !== 'object' || args === null) return JSON.stringify(args) ?? 'undefined';
  let key = argsKeys.get(args);
  if (key === undefined) argsKeys.set(args, (key = JSON.stringify(args)));
  return key;
}

/**
 * Children of many parents (a page of each): keys with the same args share one query whose rows
 * name their parent, fetched up to the largest limit any of them asked, so a list of N parents
 * costs one round-trip, and `latestRun` (limit 1) rides on `runs(first: 2)` (limit 3).
 */
export function childrenByParent<A, Row>(
  fetch: (parentIds: string[], args: A, limit: number | undefined) => Promise<Row[]>,
  parentOf: (row: Row) => string,
  /** The loader of these rows by id, primed with every row read, so a nested field naming one costs no query. */
  byId?: Loader<string, Row, unknown>,
  /** Whether the rows read for `args` are whole rows, which `byId` may hold (default: always). */
  whole: (args: A) => boolean = () => true,
): Loader<ParentKey<A>, Row[], string> {
  return new Loader<ParentKey<A>, Row[], string>(
    async (keys) => {
      const groups = new Map<string, { args: A; limit: number | undefined; parentIds: Set<string>; rows: Map<string, Row[]> }>();
      for (const key of keys) {
        const argsKey = argsKeyOf(key.args);
        const group = groups.get(argsKey);
        if (group) {
          group.parentIds.add(key.parentId);
          group.limit = largest(group.limit, key.limit);
        } else {
          groups.set(argsKey, { args: key.args, limit: key.limit, parentIds: new Set([key.parentId]), rows: new Map() });
        }
      }
      await Promise.all(
        [...groups.values()].map(async (group) => {
          const primed = byId && whole(group.args) ? byId : undefined;
          for (const row of await fetch([...group.parentIds], group.args, group.limit)) {
            primed?.prime((row as { id: string }).id, row);
            const parentId = parentOf(row);
            const rows = group.rows.get(parentId);
            if (rows) rows.push(row);
            else group.rows.set(parentId, [row]);
          }
        }),
      );
      return keys.map((key) => {
        const rows = groups.get(argsKeyOf(key.args))!.rows.get(key.parentId) ?? [];
        return key.limit === undefined || rows.length <= key.limit ? rows : rows.slice(0, key.limit);
      });
    },
    { cacheKeyFn: (key) => `${key.parentId}|${key.limit}|${argsKeyOf(key.args)}` },
  );
}

/** How many children each parent has among those `args` keep: one query per distinct args for many parents; 0 for a parent without. */
export function countByParent<A>(fetch: (parentIds: string[], args: A) => Promise<{ parentId: string; count: number }[]>): Loader<{ parentId: string; args: A }, number, string> {
  return new Loader<{ parentId: string; args: A }, number, string>(
    async (keys) => {
      const groups = new Map<string, { args: A; parentIds: string[]; counts: Map<string, number> }>();
      for (const key of keys) {
        const argsKey = argsKeyOf(key.args);
        const group = groups.get(argsKey);
        if (group) group.parentIds.push(key.parentId);
        else groups.set(argsKey, { args: key.args, parentIds: [key.parentId], counts: new Map() });
      }
      await Promise.all(
        [...groups.values()].map(async (group) => {
          for (const row of await fetch(group.parentIds, group.args)) group.counts.set(row.parentId, row.count);
        }),
      );
      return keys.map((key) => groups.get(argsKeyOf(key.args))!.counts.get(key.parentId) ?? 0);
    },
    { cacheKeyFn: (key) => `${key.parentId}|${argsKeyOf(key.args)}` },
  );
}
