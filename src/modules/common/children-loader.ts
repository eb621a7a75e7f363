import { Loader } from './loaders.js';

export interface ParentKey<A> {
  parentId: string;
  /** Filter and cursor arguments; keys with equal args are fetched in one query. */
  args: A;
  /** The most children wanted (all when absent); keys that differ only in limit share one query at the largest. */
  limit?: number;
}

const largest = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : Math.max(a, b));

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
      const groups = new Map<string, { args: A; limit: number | undefined; parentIds: Set<string> }>();
      const argsKeys = keys.map((key) => JSON.stringify(key.args));
      keys.forEach((key, i) => {
        const group = groups.get(argsKeys[i]!);
        if (group) {
          group.parentIds.add(key.parentId);
          group.limit = largest(group.limit, key.limit);
        } else {
          groups.set(argsKeys[i]!, { args: key.args, limit: key.limit, parentIds: new Set([key.parentId]) });
        }
      });
      const rowsByKey = new Map<string, Row[]>();
      await Promise.all(
        [...groups].map(async ([argsKey, group]) => {
          const primed = byId && whole(group.args) ? byId : undefined;
          for (const row of await fetch([...group.parentIds], group.args, group.limit)) {
            primed?.prime((row as { id: string }).id, row);
            const key = `${parentOf(row)}|${argsKey}`;
            const rows = rowsByKey.get(key);
            if (rows) rows.push(row);
            else rowsByKey.set(key, [row]);
          }
        }),
      );
      return keys.map((key, i) => {
        const rows = rowsByKey.get(`${key.parentId}|${argsKeys[i]}`) ?? [];
        return key.limit === undefined || rows.length <= key.limit ? rows : rows.slice(0, key.limit);
      });
    },
    { cacheKeyFn: (key) => `${key.parentId}|${key.limit}|${JSON.stringify(key.args)}` },
  );
}

/** How many children each parent has among those `args` keep: one query per distinct args for many parents; 0 for a parent without. */
export function countByParent<A>(fetch: (parentIds: string[], args: A) => Promise<{ parentId: string; count: number }[]>): Loader<{ parentId: string; args: A }, number, string> {
  const cacheKey = (key: { parentId: string; args: A }) => `${key.parentId}|${JSON.stringify(key.args)}`;
  return new Loader<{ parentId: string; args: A }, number, string>(
    async (keys) => {
      const groups = new Map<string, { args: A; parentIds: string[] }>();
      for (const key of keys) {
        const argsKey = JSON.stringify(key.args);
        const group = groups.get(argsKey);
        if (group) group.parentIds.push(key.parentId);
        else groups.set(argsKey, { args: key.args, parentIds: [key.parentId] });
      }
      const counts = new Map<string, number>();
      await Promise.all(
        [...groups].map(async ([argsKey, group]) => {
          for (const row of await fetch(group.parentIds, group.args)) counts.set(`${row.parentId}|${argsKey}`, row.count);
        }),
      );
      return keys.map((key) => counts.get(cacheKey(key)) ?? 0);
    },
    { cacheKeyFn: cacheKey },
  );
}
