import { describe, expect, it } from 'vitest';
import { Loader, loadAll, rowsById } from '../../src/modules/common/loaders.js';

/** A loader of `{ id }` rows over a fake table, recording each batch it was asked for. */
function recordingLoader(ids: string[], options: { failNext?: boolean } = {}) {
  const batches: string[][] = [];
  const loader = rowsById(
    async (keys) => {
      batches.push([...keys]);
      if (options.failNext) {
        options.failNext = false;
        throw new Error('the store is down');
      }
      return keys.filter((key) => ids.includes(key)).map((id) => ({ id, name: `row ${id}` }));
    },
    (id) => new Error(`no row ${id}`),
  );
  return { loader, batches };
}

describe('Loader (DataLoader with one promise per key)', () => {
  it('answers a repeated key with the same promise, from one batch of distinct keys', async () => {
    const { loader, batches } = recordingLoader(['a', 'b']);
    const first = loader.load('a');
    expect(loader.load('a')).toBe(first);
    const both = await Promise.all([first, loader.load('b'), loader.load('a')]);
    expect(both.map((row) => row.id)).toEqual(['a', 'b', 'a']);
    expect(batches).toEqual([['a', 'b']]);
    // Later in the request: still the same promise, no second batch.
    expect(loader.load('a')).toBe(first);
    expect(batches).toHaveLength(1);
  });

  it('loadAs builds each key once, and loadAll keeps key order', async () => {
    const { loader } = recordingLoader(['a', 'b']);
    let builds = 0;
    const build = (row: { id: string }) => ({ built: row.id, n: ++builds });
    const a = loader.loadAs('a', build);
    expect(loader.loadAs('a', build)).toBe(a);
    expect(await loadAll(loader, ['b', 'a', 'b'], build)).toEqual([
      { built: 'b', n: 2 },
      { built: 'a', n: 1 },
      { built: 'b', n: 2 },
    ]);
    expect(builds).toBe(2);
  });

  it('a missing key rejects with its Error each time it is asked, without a new batch', async () => {
    const { loader, batches } = recordingLoader(['a']);
    await expect(loader.load('x')).rejects.toThrow('no row x');
    await expect(loader.load('x')).rejects.toThrow('no row x');
    await expect(loadAll(loader, ['a', 'x'], (row) => row.id)).rejects.toThrow('no row x');
    // One key: a list of one, or its Error; no key: an empty list.
    expect(await loadAll(loader, ['a'], (row) => row.id)).toEqual(['a']);
    await expect(loadAll(loader, ['x'], (row) => row.id)).rejects.toThrow('no row x');
    expect(await loadAll(loader, [], (row) => row.id)).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([['x'], ['a']]);
  });

  it('a failed batch is not kept: the next load asks again, as DataLoader does', async () => {
    const { loader, batches } = recordingLoader(['a'], { failNext: true });
    await expect(loader.load('a')).rejects.toThrow('the store is down');
    expect((await loader.load('a')).id).toBe('a');
    expect(batches).toEqual([['a'], ['a']]);
  });

  it('a primed row is answered without a batch; clear and clearAll make it ask again', async () => {
    const { loader, batches } = recordingLoader(['a', 'b']);
    loader.prime('a', { id: 'a', name: 'primed' });
    expect((await loader.load('a')).name).toBe('primed');
    expect(await loader.loadAs('a', (row) => row.name)).toBe('primed');
    expect(batches).toEqual([]);
    loader.clear('a');
    expect((await loader.load('a')).name).toBe('row a');
    expect(await loader.loadAs('a', (row) => row.name)).toBe('row a');
    await loader.load('b');
    loader.clearAll();
    await Promise.all([loader.load('a'), loader.load('b')]);
    expect(batches).toEqual([['a'], ['b'], ['a', 'b']]);
  });

  it('a key primed with an Error rejects with it, without a batch and without an unhandled rejection; a key asked already keeps its value', async () => {
    const { loader, batches } = recordingLoader(['a']);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      loader.prime('gone', new Error('primed failure'));
      await new Promise((resolve) => setImmediate(resolve));
      await expect(loader.load('gone')).rejects.toThrow('primed failure');
      const a = await loader.load('a');
      loader.prime('a', { id: 'a', name: 'not this' });
      expect(await loader.load('a')).toBe(a);
      expect(batches).toEqual([['a']]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('dispatches after the current task, so keys asked across awaits of one level share a batch', async () => {
    const batches: number[][] = [];
    const loader = new Loader<number, number>(async (keys) => {
      batches.push([...keys]);
      return keys.map((key) => key * 2);
    });
    const later = Promise.resolve().then(() => Promise.resolve().then(() => loader.load(2)));
    expect(await Promise.all([loader.load(1), later])).toEqual([2, 4]);
    expect(batches).toEqual([[1, 2]]);
  });
});
