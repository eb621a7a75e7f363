import DataLoader from 'dataloader';
import { afterCurrentTask } from './loaders.js';

export interface ParentKey<A> {
  parentId: string;
  /** Page and filter arguments; keys with equal args are fetched in one query. */
  args: A;
}

/**
 * Children of many parents (a page of each, or their counts): keys with the same args share
 * one query whose rows name their parent, so a list of N parents costs one round-trip.
 */
export function childrenByParent<A, Row>(
  fetch: (parentIds: string[], args: A) => Promise<Row[]>,
  parentOf: (row: Row) => string,
): DataLoader<ParentKey<A>, Row[], string> {
  return new DataLoader<ParentKey<A>, Row[], string>(
    async (keys) => {
      const groups = new Map<string, { args: A; parentIds: Set<string> }>();
      for (const key of keys) {
        const argsKey = JSON.stringify(key.args);
        const group = groups.get(argsKey) ?? { args: key.args, parentIds: new Set<string>() };
        group.parentIds.add(key.parentId);
        groups.set(argsKey, group);
      }
      const rowsByKey = new Map<string, Row[]>();
      await Promise.all(
        [...groups].map(async ([argsKey, group]) => {
          for (const row of await fetch([...group.parentIds], group.args)) {
            const key = `${parentOf(row)}|${argsKey}`;
            const rows = rowsByKey.get(key);
            if (rows) rows.push(row);
            else rowsByKey.set(key, [row]);
          }
        }),
      );
      return keys.map((key) => rowsByKey.get(`${key.parentId}|${JSON.stringify(key.args)}`) ?? []);
    },
    { cacheKeyFn: (key) => `${key.parentId}|${JSON.stringify(key.args)}`, batchScheduleFn: afterCurrentTask },
  );
}
