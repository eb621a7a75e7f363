import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricPointRow } from '../../src/modules/metrics/metric-store.js';
import { ClickHouseMetricStore, encodeRowBinary } from '../../src/modules/metrics/metrics.clickhouse.js';
import { ownClickHouse, type OwnClickHouse } from '../helpers/clickhouse.js';
import { describeMetricStoreContract } from './metric-store.contract.js';

describeMetricStoreContract('clickhouse', async () => {
  const own = await ownClickHouse();
  return { store: new ClickHouseMetricStore(own.client, own.database), close: own.drop };
});

function point(runId: string, overrides: Partial<MetricPointRow> = {}): MetricPointRow {
  return {
    projectId: 'p',
    experimentId: 'e',
    runId,
    taskId: randomUUID(),
    modelId: 'm',
    promptVersionId: 'v',
    rowIndex: 0,
    repetition: 0,
    name: 'score',
    value: 1,
    timeMs: 1_767_225_600_000,
    ...overrides,
  };
}

describe('ClickHouse metric store', () => {
  let own: OwnClickHouse;
  let store: ClickHouseMetricStore;
  beforeAll(async () => {
    own = await ownClickHouse();
    store = new ClickHouseMetricStore(own.client, own.database);
  });
  afterAll(async () => own?.drop());

  it('interpolates quantiles as numpy does, on values checked by hand', async () => {
    const runId = randomUUID();
    // Sorted: 1 2 3 4 10. h = 4p: p50 -> 3; p90 -> h 3.6: 4 + 0.6 * 6 = 7.6; p95 -> 3.8: 8.8; p99 -> 3.96: 9.76.
    await store.insert([10, 3, 1, 4, 2].map((value) => point(runId, { value })));
    const [row] = await store.summaries([runId], null, []);
    expect(row).toMatchObject({ count: 5, mean: 4, min: 1, max: 10, p50: 3 });
    expect(row!.p90).toBeCloseTo(7.6, 12);
    expect(row!.p95).toBeCloseTo(8.8, 12);
    expect(row!.p99).toBeCloseTo(9.76, 12);
    // Sample variance: deviations -3 -2 -1 0 6, squares sum 50, / 4 = 12.5.
    expect(row!.stddev).toBeCloseTo(Math.sqrt(12.5), 12);
  });

  it('reads the same version of a point before and after the parts are merged', async () => {
    const runId = randomUUID();
    const first = point(runId, { value: 1, timeMs: 1_000 });
    await store.insert([first]);
    await store.insert([{ ...first, value: 2, timeMs: 3_000 }]);
    await store.insert([{ ...first, value: 3, timeMs: 2_000 }]);
    const read = async () => ({ count: await store.count(runId), values: (await store.values([runId], null)).map((v) => v.value) });
    expect(await read()).toEqual({ count: 1, values: [2] });
    await own.client.command({ query: `OPTIMIZE TABLE ${own.database}.metric_points FINAL` });
    expect(await read()).toEqual({ count: 1, values: [2] });
  });

  it('keeps every double exactly, subnormals and -0 included', async () => {
    const runId = randomUUID();
    // The first three come back one ulp off from 18.16's decimal reader (JSONEachRow, VALUES).
    const values = [2.866686002153964e-19, 1.3519639894168444e-18, 4.018390459900043e-8, 5e-324, -2.2250738585072014e-308, 1.7976931348623157e308, -0, 0.1 + 0.2];
    for (let i = 0; i < 500; i++) values.push((Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 40 - 20));
    const points = values.map((value, rowIndex) => point(runId, { value, rowIndex }));
    await store.insert(points);
    const back = new Map((await store.values([runId], null)).map((v) => [v.rowIndex, v.value]));
    expect(values.map((_, rowIndex) => back.get(rowIndex))).toEqual(values);
  });

  it('round-trips any string, long or not ASCII', async () => {
    const runId = randomUUID();
    const names = ['', 'x'.repeat(42), 'é'.repeat(42), 'y'.repeat(128), '😀'.repeat(300), 'a\u0000b\u0001c\u007f'];
    await store.insert(names.map((name) => point(runId, { name })));
    expect((await store.values([runId], null)).map((v) => v.name).sort()).toEqual([...names].sort());
  });

  it('refuses a point its columns cannot hold exactly, before sending anything', () => {
    expect(() => encodeRowBinary([point('r', { value: Number.NaN })])).toThrow(RangeError);
    expect(() => encodeRowBinary([point('r', { timeMs: 1.5 })])).toThrow(RangeError);
    expect(() => encodeRowBinary([point('r', { rowIndex: -1 })])).toThrow(RangeError);
    expect(() => encodeRowBinary([point('r', { repetition: 2 ** 32 })])).toThrow(RangeError);
  });

  it('gives nothing for an empty list of names', async () => {
    const runId = randomUUID();
    await store.insert([point(runId)]);
    expect(await store.values([runId], [])).toEqual([]);
    expect(await store.summaries([runId], [], [])).toEqual([]);
  });
});
