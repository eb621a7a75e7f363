import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  createRowReader,
  type DatasetFormat,
  type DatasetIssue,
  type DatasetRow,
} from '../../src/modules/datasets/dataset-format.js';
import { DatasetRowError, readDatasetRows } from '../../src/modules/datasets/dataset-rows.js';
import { validateDataset, type DatasetLimits } from '../../src/modules/datasets/dataset-validation.js';

const LIMITS: DatasetLimits = { maxRowBytes: 10_000 };

/** Yields `bytes` in pieces of `size` bytes, each a separate buffer as a stream would deliver. */
async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let start = 0; start < bytes.length; start += size) {
    yield Buffer.from(bytes.subarray(start, start + size));
  }
}

function validate(content: string | Buffer, format: DatasetFormat, limits = LIMITS, chunkSize = 64 * 1024) {
  return validateDataset(chunks(Buffer.from(content), chunkSize), format, limits);
}

async function rows(content: string | Buffer, format: DatasetFormat, chunkSize = 64 * 1024): Promise<DatasetRow[]> {
  const result: DatasetRow[] = [];
  for await (const row of readDatasetRows(chunks(Buffer.from(content), chunkSize), format)) result.push(row);
  return result;
}

/** The rows read before the first problem, and that problem's message. */
async function rowsAndProblem(content: Buffer, format: DatasetFormat, chunkSize: number) {
  const result: DatasetRow[] = [];
  try {
    for await (const row of readDatasetRows(chunks(content, chunkSize), format, { maxRowBytes: 500 })) result.push(row);
  } catch (error) {
    return { rows: result, problem: (error as Error).message };
  }
  return { rows: result, problem: null };
}

function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

function jsonl(...values: unknown[]): string {
  return values.map((value) => JSON.stringify(value) + '\n').join('');
}

describe('validateDataset: JSONL', () => {
  it('counts rows, collects columns and hashes the exact bytes', async () => {
    const content = jsonl(
      { input: { question: 'What is 2+2?', context: 'math' }, expected: '4' },
      { input: { question: 'Capital of France?' }, metadata: { source: 'geo' } },
      { input: { answer_style: 'short', question: 'Largest ocean?' } },
    );
    const result = await validate(content, 'JSONL');
    expect(result).toEqual({
      rowCount: 3,
      columns: ['answer_style', 'context', 'question', 'expected', 'metadata'],
      sha256: sha256(content),
      sizeBytes: Buffer.byteLength(content),
      errors: [],
      errorCount: 0,
    });
  });

  it('lists expected and metadata only when some row has them', async () => {
    const result = await validate(jsonl({ input: { b: 1, a: 2 } }, { input: { c: 3 }, expected: null }), 'JSONL');
    expect(result.columns).toEqual(['a', 'b', 'c']);
    expect(result.errorCount).toBe(0);
  });

  it('names the line and the rule for each malformed row', async () => {
    const content = [
      '{"input": {"q": "fine"}}',
      '{"input": {"q": "broken"',
      '{"input": "a string"}',
      '{"input": {"q": 1}, "answer": "4"}',
      '{"expected": "4"}',
      '["input"]',
      '{"input": {"q": 1}, "metadata": [1]}',
      '{"input": {"q": "fine again"}}',
      '',
    ].join('\n');
    const result = await validate(content, 'JSONL');
    expect(result.rowCount).toBe(2);
    expect(result.errorCount).toBe(6);
    expect(result.errors.map((error) => error.line)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(result.errors[0].message).toMatch(
      /^line 2: the line is not valid JSON \(.+\); each line must be one JSON object$/,
    );
    expect(result.errors.slice(1).map((error) => error.message)).toEqual([
      'line 3: "input" must be a JSON object, got a string',
      'line 4: unknown key "answer"; a row may only have "input", "expected" and "metadata"',
      'line 5: "input" is missing; every row needs an "input" object',
      'line 6: each line must be a JSON object like {"input": {...}}, got an array',
      'line 7: "metadata" must be a JSON object when present, got an array',
    ]);
  });

  it('reports an over-long line with the limit, skips it and goes on with the next line', async () => {
    const long = JSON.stringify({ input: { q: 'x'.repeat(5_000) } });
    const content = jsonl({ input: { q: 1 } }) + long + '\n' + jsonl({ input: { q: 2 } }, { input: 'bad' });
    for (const chunkSize of [1, 7, 100, 64 * 1024]) {
      const result = await validate(content, 'JSONL', { maxRowBytes: 1_000 }, chunkSize);
      expect(result.rowCount).toBe(2);
      expect(result.errors).toEqual([
        { line: 2, message: 'line 2: the row is longer than the limit of 1000 bytes' },
        { line: 4, message: 'line 4: "input" must be a JSON object, got a string' },
      ]);
    }
  });

  it('gives up on an over-long line as soon as it passes the limit, without waiting for its end', async () => {
    const issues: DatasetIssue[] = [];
    const rowsRead: DatasetRow[] = [];
    const sink = { row: (row: DatasetRow) => rowsRead.push(row), issue: (found: DatasetIssue) => issues.push(found) };
    const reader = createRowReader('JSONL', sink, { maxRowBytes: 1_000 });
    reader.push(Buffer.from('{"input": {}}\n{"input": {"q": "'));
    for (let i = 0; i < 100; i++) reader.push(Buffer.alloc(600, 'x'));
    expect(issues).toEqual([{ line: 2, message: 'line 2: the row is longer than the limit of 1000 bytes' }]);
    reader.push(Buffer.from('"}}\n{"input": {"q": "next"}}\n'));
    await reader.end();
    expect(rowsRead.map((row) => row.input)).toEqual([{}, { q: 'next' }]);
    expect(issues).toHaveLength(1);
  });

  it('accepts a row of exactly the limit, CRLF or not, and rejects one byte more', async () => {
    const row = '{"input": {"q": "abc"}}';
    const exact = { maxRowBytes: row.length };
    expect((await validate(`${row}\r\n${row}\n`, 'JSONL', exact, 5)).errorCount).toBe(0);
    const over = await validate(`${row}\r\n${row} \n`, 'JSONL', exact, 5);
    expect(over.errors).toEqual([
      { line: 2, message: `line 2: the row is longer than the limit of ${row.length} bytes` },
    ]);
  });

  it('allows one final line break but no blank line anywhere else', async () => {
    const row = '{"input": {"q": 1}}';
    expect((await validate(`${row}\n${row}`, 'JSONL')).errorCount).toBe(0);
    expect((await validate(`${row}\n${row}\n`, 'JSONL')).errorCount).toBe(0);
    const blank = 'line 3: the line is empty; blank lines are not allowed (only one line break may end the file)';
    expect((await validate(`${row}\n${row}\n\n`, 'JSONL')).errors).toEqual([{ line: 3, message: blank }]);
    expect((await validate(`${row}\n${row}\n  \n${row}\n`, 'JSONL')).errors).toEqual([{ line: 3, message: blank }]);
  });

  it('rejects an empty file', async () => {
    const result = await validate('', 'JSONL');
    expect(result.errors).toEqual([
      { line: 1, message: 'line 1: the file is empty; a dataset needs at least one row' },
    ]);
    expect(result.sha256).toBe(sha256(''));
  });

  it('handles CRLF line endings and a byte order mark', async () => {
    const content = '\uFEFF{"input": {"q": "a"}}\r\n{"input": {"q": "b"}, "expected": "x"}\r\n';
    const result = await validate(content, 'JSONL');
    expect(result).toMatchObject({ rowCount: 2, errorCount: 0, columns: ['q', 'expected'], sha256: sha256(content) });
    expect((await rows(content, 'JSONL')).map((row) => row.input.q)).toEqual(['a', 'b']);
  });

  it('keeps the first 100 problems in line order and counts them all', async () => {
    const lines = Array.from({ length: 250 }, (_, i) => (i % 5 === 0 ? '{"input": {}}' : `{"input": ${i}}`));
    const result = await validate(lines.join('\n') + '\n', 'JSONL');
    expect(result.rowCount).toBe(50);
    expect(result.errorCount).toBe(200);
    expect(result.errors).toHaveLength(100);
    expect(result.errors.map((error) => error.line)).toEqual(
      Array.from({ length: 250 }, (_, i) => i + 1)
        .filter((line) => (line - 1) % 5 !== 0)
        .slice(0, 100),
    );
    expect((await validate(lines.join('\n'), 'JSONL', { maxRowBytes: 100, maxErrors: 3 })).errors).toHaveLength(3);
  });

  it('reports bytes that are not UTF-8 on their line', async () => {
    const content = Buffer.concat([
      Buffer.from('{"input": {"q": "ok \uFFFD is a real character"}}\n{"input": {"q": "caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}}\n'),
    ]);
    const result = await validate(content, 'JSONL');
    expect(result.rowCount).toBe(1);
    expect(result.errors).toEqual([
      { line: 2, message: 'line 2: the line is not valid UTF-8; dataset files must be UTF-8 encoded' },
    ]);
  });
});

describe('validateDataset: CSV', () => {
  it('counts rows and lists the header columns in header order', async () => {
    const content =
      'question,expected,context,metadata\nWhat is 2+2?,4,math,"{""level"": 1}"\nCapital of France?,Paris,,\n';
    const result = await validate(content, 'CSV');
    expect(result).toEqual({
      rowCount: 2,
      columns: ['question', 'expected', 'context', 'metadata'],
      sha256: sha256(content),
      sizeBytes: Buffer.byteLength(content),
      errors: [],
      errorCount: 0,
    });
  });

  it('parses quoted fields holding commas, quotes and line breaks, and numbers lines after them', async () => {
    const content = [
      'question,expected',
      '"Hello, world","She said ""hi"""',
      '"line one',
      'line two',
      'line three",multi',
      'too,many,fields',
      '',
    ].join('\n');
    const result = await validate(content, 'CSV');
    expect(result.rowCount).toBe(2);
    expect(result.errors).toEqual([
      { line: 6, message: 'line 6: expected 2 fields (one per header column), got 3' },
    ]);
    const parsed = await rows(content.replace('too,many,fields\n', ''), 'CSV');
    expect(parsed).toEqual([
      { index: 0, input: { question: 'Hello, world' }, expected: 'She said "hi"', metadata: null },
      { index: 1, input: { question: 'line one\nline two\nline three' }, expected: 'multi', metadata: null },
    ]);
  });

  it('reports wrong field counts and bad metadata with their lines', async () => {
    const content = [
      'prompt,metadata,expected',
      'a,{},x',
      'b,{}',
      'c,{not json},x',
      'd,[1],x',
      'e,"{""ok"": true}",x',
      '',
    ].join('\n');
    const result = await validate(content, 'CSV');
    expect(result.rowCount).toBe(2);
    expect(result.errors.map((error) => error.line)).toEqual([3, 4, 5]);
    expect(result.errors[0].message).toBe('line 3: expected 3 fields (one per header column), got 2');
    expect(result.errors[1].message).toMatch(
      /^line 4: the "metadata" column must hold a JSON object, got invalid JSON \(.+\)$/,
    );
    expect(result.errors[2].message).toBe('line 5: the "metadata" column must hold a JSON object, got an array');
  });

  it('rejects duplicate and empty header names', async () => {
    const result = await validate('q,,q\n1,2,3\n', 'CSV');
    expect(result.errors).toEqual([
      { line: 1, message: 'line 1: column 2 of the header has no name; every column needs a unique name' },
      { line: 1, message: 'line 1: column "q" appears more than once in the header; column names must be unique' },
    ]);
  });

  it('handles CRLF, including inside a quoted field, and a byte order mark', async () => {
    const content = '\uFEFFq,expected\r\n"two\r\nlines",a\r\nplain,b\r\nbad\r\n';
    const result = await validate(content, 'CSV');
    expect(result.columns).toEqual(['q', 'expected']);
    expect(result.rowCount).toBe(2);
    expect(result.errors).toEqual([{ line: 5, message: 'line 5: expected 2 fields (one per header column), got 1' }]);
    const parsed = await rows(content.replace('bad\r\n', ''), 'CSV');
    expect(parsed.map((row) => row.input.q)).toEqual(['two\r\nlines', 'plain']);
  });

  it('reports blank lines, including trailing ones, but not the final line break', async () => {
    expect((await validate('q\na\nb\n', 'CSV')).errorCount).toBe(0);
    expect((await validate('q\na\nb', 'CSV')).errorCount).toBe(0);
    const blank = (line: number) => ({
      line,
      message: `line ${line}: the line is empty; blank lines are not allowed (only one line break may end the file)`,
    });
    expect((await validate('q\na\n\n\nb\n', 'CSV')).errors).toEqual([blank(3)]);
    expect((await validate('q\r\na\r\n\r\n', 'CSV')).errors).toEqual([blank(3)]);
  });

  it('stops at a quoting error, naming the line where the record starts', async () => {
    const unclosed = await validate('q,expected\na,b\n"open,c\nd,e\n', 'CSV');
    expect(unclosed.rowCount).toBe(1);
    expect(unclosed.errors).toEqual([
      {
        line: 3,
        message:
          'line 3: a quoted field is never closed; a field that starts with " must end with "; ' +
          'the rest of the file was not checked',
      },
    ]);
    const stray = await validate('q,expected\na,b\nx"y,c\nd,e\n', 'CSV');
    expect(stray.errors.map((error) => error.line)).toEqual([3]);
    expect(stray.errors[0].message).toMatch(/^line 3: an unquoted field contains "/);
  });

  it('stops at a record longer than the limit instead of buffering it', async () => {
    const content = `q,expected\nshort,a\n"${'x'.repeat(5_000)}\n${'y'.repeat(5_000)}`;
    const result = await validate(content, 'CSV', { maxRowBytes: 1_000 }, 1024);
    expect(result.rowCount).toBe(1);
    expect(result.errors).toEqual([
      {
        line: 3,
        message: 'line 3: the row is longer than the limit of 1000 bytes; the rest of the file was not checked',
      },
    ]);
    expect(result.sizeBytes).toBe(Buffer.byteLength(content));
  });

  it('rejects an empty file and a header without rows', async () => {
    expect((await validate('', 'CSV')).errors).toEqual([
      { line: 1, message: 'line 1: the file is empty; a CSV dataset starts with a header row' },
    ]);
    expect((await validate('q,expected\n', 'CSV')).errors).toEqual([
      { line: 2, message: 'line 2: the file has a header row but no data rows; a dataset needs at least one row' },
    ]);
  });

  it('keeps the first 100 problems and counts them all', async () => {
    const content = 'a,b\n' + Array.from({ length: 150 }, (_, i) => (i % 3 === 0 ? '1,2' : 'only-one')).join('\n');
    const result = await validate(content, 'CSV');
    expect(result.rowCount).toBe(50);
    expect(result.errorCount).toBe(100);
    expect(result.errors).toHaveLength(100);
    expect(result.errors.at(-1)?.line).toBe(151);
  });

  it('reports bytes that are not UTF-8 on their line, in line order with other problems', async () => {
    const content = Buffer.concat([
      Buffer.from('q,expected\nfine,a\nonly-one\n"caf'),
      Buffer.from([0xe9]),
      Buffer.from('\nau lait",b\nalso-one\n'),
    ]);
    for (const chunkSize of [1, 4, 64 * 1024]) {
      const result = await validate(content, 'CSV', LIMITS, chunkSize);
      expect(result.errors).toEqual([
        { line: 3, message: 'line 3: expected 2 fields (one per header column), got 1' },
        { line: 4, message: 'line 4: the line is not valid UTF-8; dataset files must be UTF-8 encoded' },
        { line: 6, message: 'line 6: expected 2 fields (one per header column), got 1' },
      ]);
    }
  });
});

describe('chunk boundaries', () => {
  const jsonlFile = Buffer.from(
    '\uFEFF' +
      jsonl(
        { input: { q: 'naïve café — 日本語 🚀🚀', n: 1 }, expected: { answer: 'ünïcödé' }, metadata: { tag: 'é' } },
        { input: { q: 'x'.repeat(300) } },
      ) +
      '{"input": {"q": "crlf"}}\r\n' +
      '{"input": "nope"}\n' +
      '\n' +
      `${JSON.stringify({ input: { q: 'y'.repeat(600) } })}\n` +
      '{"input": {"q": "emoji at the end 🧪"}}',
  );
  const csvFile = Buffer.from(
    '\uFEFFquestion,expected,metadata\r\n' +
      '"multi\nline 🚀, with ""quotes""",é,"{""a"": ""日本""}"\n' +
      'plain,ok,\n' +
      'short,row\r\n' +
      '\n' +
      `${'z'.repeat(300)},long,\n` +
      'bad,meta,{oops}\n' +
      '"tail 🧪",end,',
  );

  it.each([
    ['JSONL', jsonlFile, [4, 5, 6]],
    ['CSV', csvFile, [5, 6, 8]],
  ] as const)('gives identical %s results for 1-byte, 7-byte and 64 KiB chunks', async (format, file, errorLines) => {
    const limits = { maxRowBytes: 500 };
    const whole = await validateDataset(chunks(file, file.length), format, limits);
    expect(whole.rowCount).toBe(4);
    expect(whole.errors.map((error) => error.line)).toEqual(errorLines);
    expect(whole.sha256).toBe(sha256(file));
    const wholeRows = await rowsAndProblem(file, format, file.length);
    expect(wholeRows.rows.length).toBeGreaterThan(1);
    for (const size of [1, 7, 64 * 1024]) {
      expect(await validate(file, format, limits, size)).toEqual(whole);
      expect(await rowsAndProblem(file, format, size)).toEqual(wholeRows);
    }
  });

  it('decodes characters split across chunks', async () => {
    const text = 'naïve café — 日本語 🚀🧪';
    const jsonlText = jsonl({ input: { q: text } });
    const csvText = `q\n${text}\n`;
    for (const size of [1, 2, 3, 5]) {
      expect((await rows(jsonlText, 'JSONL', size))[0].input.q).toBe(text);
      expect((await rows(csvText, 'CSV', size))[0].input.q).toBe(text);
      expect((await validate(jsonlText, 'JSONL', LIMITS, size)).errorCount).toBe(0);
      expect((await validate(csvText, 'CSV', LIMITS, size)).errorCount).toBe(0);
    }
  });
});

describe('readDatasetRows', () => {
  const file = jsonl(...Array.from({ length: 1_000 }, (_, i) => ({ input: { n: i }, expected: String(i) })));

  it('yields every row in order with its index', async () => {
    const all = await rows(file, 'JSONL', 1000);
    expect(all).toHaveLength(1_000);
    expect(all[999]).toEqual({ index: 999, input: { n: 999 }, expected: '999', metadata: null });
  });

  it('stops reading and destroys the source once the limit is reached', async () => {
    let chunksRead = 0;
    const source = Readable.from(
      (async function* () {
        for await (const chunk of chunks(Buffer.from(file), 100)) {
          chunksRead++;
          yield chunk;
        }
      })(),
    );
    const iterator = readDatasetRows(source, 'JSONL', { limit: 3, offset: 2 });
    const taken: DatasetRow[] = [];
    for (let i = 0; i < 3; i++) {
      const next = await iterator.next();
      if (!next.done) taken.push(next.value);
    }
    expect(taken.map((row) => row.index)).toEqual([2, 3, 4]);
    // Destroyed as the last row is handed over, without waiting for the caller to ask for more.
    expect(source.destroyed).toBe(true);
    expect(chunksRead).toBeLessThan(10);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('reads nothing for a limit of 0', async () => {
    const source = Readable.from([Buffer.from(file)]);
    const taken = [];
    for await (const row of readDatasetRows(source, 'JSONL', { limit: 0 })) taken.push(row);
    expect(taken).toEqual([]);
    expect(source.destroyed).toBe(true);
  });

  it('yields the rows before a problem, then throws it', async () => {
    const taken: unknown[] = [];
    const error = await (async () => {
      for await (const row of readDatasetRows(chunks(Buffer.from('q\na\nb\nc,d\ne\n'), 64), 'CSV')) {
        taken.push(row.input.q);
      }
    })().catch((caught: unknown) => caught);
    expect(taken).toEqual(['a', 'b']);
    expect(error).toBeInstanceOf(DatasetRowError);
    expect(error).toMatchObject({ line: 4, message: 'line 4: expected 1 field (one per header column), got 2' });
  });
});
