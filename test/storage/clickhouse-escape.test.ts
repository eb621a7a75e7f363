import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chLiteral, createClickHouse, type ClickHouseClient } from '../../src/storage/clickhouse.js';
import { CLICKHOUSE_URL } from '../helpers/clickhouse.js';

describe('chLiteral', () => {
  it('quotes strings and escapes backslashes, quotes and control characters', () => {
    expect(chLiteral('plain')).toBe("'plain'");
    expect(chLiteral("it's")).toBe("'it\\'s'");
    expect(chLiteral('back\\slash')).toBe("'back\\\\slash'");
    expect(chLiteral('a\nb\rc\td\0e')).toBe("'a\\nb\\rc\\td\\0e'");
    expect(chLiteral('\u0001\u001f\u007f')).toBe("'\\x01\\x1f\\x7f'");
    expect(chLiteral('naïve 😀')).toBe("'naïve 😀'");
    expect(chLiteral('')).toBe("''");
  });

  it('refuses a string with a lone surrogate, which UTF-8 cannot carry', () => {
    expect(() => chLiteral('a\ud800b')).toThrow(RangeError);
    expect(() => chLiteral('\udc00')).toThrow(RangeError);
  });

  it('writes integers as integers and other numbers in their shortest exact form', () => {
    expect(chLiteral(42)).toBe('42');
    expect(chLiteral(-7)).toBe('-7');
    expect(chLiteral(0)).toBe('0');
    expect(chLiteral(-0)).toBe('-0.0');
    expect(chLiteral(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(chLiteral(1e-300)).toBe('1e-300');
    expect(chLiteral(2 ** 63)).toBe('9.223372036854776e+18');
    // 18.16 refuses a subnormal literal: 2^-1074 = 2^-52 * 2^-1022, both normal, the product exact.
    expect(chLiteral(5e-324)).toBe('(2.220446049250313e-16 * 2.2250738585072014e-308)');
  });

  it('refuses NaN and the infinities', () => {
    expect(() => chLiteral(Number.NaN)).toThrow(RangeError);
    expect(() => chLiteral(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => chLiteral(Number.NEGATIVE_INFINITY)).toThrow(RangeError);
    expect(() => chLiteral([1, Number.NaN])).toThrow(RangeError);
  });

  it('writes arrays as [a, b]', () => {
    expect(chLiteral(['a', "b'c"])).toBe("['a', 'b\\'c']");
    expect(chLiteral([1, 2.5])).toBe('[1, 2.5]');
    expect(chLiteral([])).toBe('[]');
  });
});

describe('chLiteral through ClickHouse', () => {
  let client: ClickHouseClient;
  beforeAll(() => {
    client = createClickHouse({ url: CLICKHOUSE_URL });
  });
  afterAll(async () => client?.close());

  /** What ClickHouse makes of a number literal: its type and its double's bytes in hex (reinterpretAsString drops trailing zero bytes). */
  const select = async (literal: string) => {
    const result = await client.query({ query: `SELECT ${literal} AS v, toTypeName(v) AS type, hex(reinterpretAsString(toFloat64(v))) AS bits FROM system.one`, format: 'JSONEachRow' });
    const [row] = await result.json<{ type: string; bits: string }>();
    return { type: row!.type, bits: row!.bits.padEnd(16, '0') };
  };
  const selectString = async (literal: string) => {
    const result = await client.query({ query: `SELECT ${literal} AS v`, format: 'JSONEachRow' });
    return (await result.json<{ v: string }>())[0]!.v;
  };
  const bitsOf = (n: number) => {
    const buffer = Buffer.alloc(8);
    buffer.writeDoubleLE(n);
    return buffer.toString('hex').toUpperCase();
  };

  it.each([
    ["it's \"quoted\""],
    ['back\\slash\\'],
    ['\\\''],
    ["'; DROP TABLE metric_points; --"],
    ['new\nline\r\ttab'],
    ['nul\0byte'],
    ['\u0001\u0008\u000b\u000c\u001b\u001f\u007f'],
    ['naïve ✓ 中文'],
    ['😀 emoji 👩‍👩‍👧'],
    ['\\x41 and \\n stay as typed'],
    [''],
  ])('a string comes back unchanged: %j', async (value) => {
    expect(await selectString(chLiteral(value))).toBe(value);
  });

  it('an array of strings comes back unchanged', async () => {
    const values = ["a'b", 'c\\d', 'e\nf'];
    const result = await client.query({ query: `SELECT ${chLiteral(values)} AS v`, format: 'JSONEachRow' });
    expect((await result.json<{ v: string[] }>())[0]!.v).toEqual(values);
  });

  it.each([[0], [1], [-1], [42], [2 ** 53 - 1], [-(2 ** 53) + 1], [2 ** 53], [2 ** 63], [2 ** 64], [-(2 ** 70)], [1e21], [1e300], [-1e300], [Number.MAX_VALUE]])(
    'the integer %d is the same double in ClickHouse',
    async (value) => {
      const row = await select(chLiteral(value));
      expect(row.bits).toBe(bitsOf(value));
    },
  );

  it('small safe integers stay integers', async () => {
    expect((await select(chLiteral(42))).type).toBe('UInt8');
    expect((await select(chLiteral(-7))).type).toBe('Int8');
  });

  it.each([[-0], [0.1 + 0.2], [0.1], [1 / 3], [Math.PI], [1e-300], [-1e-300], [2.2250738585072014e-308], [5e-324], [-5e-324], [1.5e-310], [2.866686002153964e-19], [123456789.123456789]])(
    'the number %d is the same double in ClickHouse',
    async (value) => {
      const row = await select(chLiteral(value));
      expect(row.type).toBe('Float64');
      expect(row.bits).toBe(bitsOf(value));
    },
  );

  it('random doubles all come back exactly', async () => {
    const values = Array.from({ length: 300 }, () => (Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 600 - 300));
    const result = await client.query({
      query: `SELECT ${values.map((v, i) => `hex(reinterpretAsString(toFloat64(${chLiteral(v)}))) AS v${i}`).join(', ')}`,
      format: 'JSONEachRow',
    });
    const [row] = await result.json<Record<string, string>>();
    expect(values.map((_, i) => row![`v${i}`]!.padEnd(16, '0'))).toEqual(values.map(bitsOf));
  });
});
