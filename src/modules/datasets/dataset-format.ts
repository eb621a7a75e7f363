import type { datasetFormatEnum } from '../../db/schema.js';
import { isUtf8 } from 'node:buffer';
import { finished } from 'node:stream/promises';
import { CsvError, Parser, type CastingContext } from 'csv-parse';

/**
 * Dataset file formats and their parsing, shared by validation (`dataset-validation.ts`) and by the
 * row reader behind previews and runs (`dataset-rows.ts`).
 *
 * JSONL: one JSON object per line, `{"input": {...}, "expected": <any JSON>, "metadata": {...}}`;
 * `expected` and `metadata` are optional and `null` counts as absent. Lines end with LF or CRLF. A
 * single line break may end the file; any other blank (or whitespace-only) line is an error.
 *
 * CSV: RFC 4180, parsed by csv-parse. The first record is the header. Column `expected` holds the
 * expected output (an empty cell means none), optional column `metadata` holds a JSON object (an
 * empty cell means none), every other column is an input field (a string). Records end with LF or
 * CRLF; a lone CR is data. Blank lines are errors, as in JSONL.
 *
 * Both: UTF-8, with an optional byte order mark. Problems name the 1-based physical line (counted
 * by LF) where the row starts; a CSV record with a quoted line break spans several lines.
 */

/** The file formats, as the database's enum lists them. */
export type DatasetFormat = (typeof datasetFormatEnum.enumValues)[number];

export interface DatasetRow {
  /** 0-based position among the rows that parsed, in file order. */
  index: number;
  input: Record<string, unknown>;
  /** null when the row has no expected output. */
  expected: unknown | null;
  metadata: Record<string, unknown> | null;
}

/** A problem found in a dataset file; `message` starts with `line N:` so it reads on its own. */
export interface DatasetIssue {
  line: number;
  message: string;
}

/** The outcome of parsing one row; `message` says what is wrong and what is allowed. */
export type RowParseResult = { ok: true; row: DatasetRow } | { ok: false; message: string };

const BLANK_LINE = 'the line is empty; blank lines are not allowed (only one line break may end the file)';
const NUL_BYTE =
  'the line contains a NUL byte (0x00), which a text dataset cannot hold; dataset files must be UTF-8 encoded text';

function failure(message: string): RowParseResult {
  return { ok: false, message };
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    default:
      return 'an object';
  }
}

/** Parses one JSONL line (without its line break) into the row at `index`. */
export function parseJsonlLine(text: string, index: number): RowParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // Checked only on failure: blank lines are rare and trimming every line would cost time.
    if (text.trim() === '') return failure(BLANK_LINE);
    // A NUL is never valid JSON, and the parser's message would quote it (the database refuses NUL in text).
    if (text.includes('\0')) return failure(NUL_BYTE);
    return failure(`the line is not valid JSON (${(error as Error).message}); each line must be one JSON object`);
  }
  if (!isJsonObject(value)) {
    return failure(`each line must be a JSON object like {"input": {...}}, got ${describe(value)}`);
  }
  for (const key in value) {
    if (key !== 'input' && key !== 'expected' && key !== 'metadata') {
      return failure(`unknown key ${JSON.stringify(key)}; a row may only have "input", "expected" and "metadata"`);
    }
  }
  const { input, expected = null, metadata = null } = value;
  if (input === undefined) return failure('"input" is missing; every row needs an "input" object');
  if (!isJsonObject(input)) return failure(`"input" must be a JSON object, got ${describe(input)}`);
  if (metadata !== null && !isJsonObject(metadata)) {
    return failure(`"metadata" must be a JSON object when present, got ${describe(metadata)}`);
  }
  return { ok: true, row: { index, input, expected, metadata } };
}

export interface CsvHeader {
  /** Column names in file order. */
  names: string[];
  /** Position of the `expected` column, -1 without one. */
  expectedIndex: number;
  /** Position of the `metadata` column, -1 without one. */
  metadataIndex: number;
}

/** Reads the header record; `problems` lists empty and duplicate names (the header stays usable by position). */
export function parseCsvHeader(fields: string[]): { header: CsvHeader; problems: string[] } {
  const problems: string[] = [];
  const seen = new Set<string>();
  fields.forEach((name, position) => {
    if (name === '') {
      problems.push(`column ${position + 1} of the header has no name; every column needs a unique name`);
    } else if (seen.has(name)) {
      problems.push(`column ${JSON.stringify(name)} appears more than once in the header; column names must be unique`);
    }
    seen.add(name);
  });
  return {
    header: { names: fields, expectedIndex: fields.indexOf('expected'), metadataIndex: fields.indexOf('metadata') },
    problems,
  };
}

/** Parses one CSV data record (its fields as csv-parse returns them) into the row at `index`. */
export function parseCsvRecord(header: CsvHeader, fields: string[], index: number): RowParseResult {
  const { names, expectedIndex, metadataIndex } = header;
  if (fields.length !== names.length) {
    return failure(
      `expected ${names.length} field${names.length === 1 ? '' : 's'} (one per header column), got ${fields.length}`,
    );
  }
  const input: [string, string][] = [];
  let expected: string | null = null;
  let metadata: Record<string, unknown> | null = null;
  for (let position = 0; position < fields.length; position++) {
    const field = fields[position];
    if (position === expectedIndex) {
      expected = field === '' ? null : field;
    } else if (position === metadataIndex) {
      if (field === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(field);
      } catch (error) {
        return failure(`the "metadata" column must hold a JSON object, got invalid JSON (${(error as Error).message})`);
      }
      if (!isJsonObject(value)) return failure(`the "metadata" column must hold a JSON object, got ${describe(value)}`);
      metadata = value;
    } else {
      input.push([names[position], field]);
    }
  }
  // fromEntries defines own properties, so a column named "__proto__" is kept as data.
  return { ok: true, row: { index, input: Object.fromEntries(input), expected, metadata } };
}

/** Receives what a {@link RowReader} finds, in file order. */
export interface RowSink {
  row(row: DatasetRow): void;
  /** Problems arrive in line order. */
  issue(issue: DatasetIssue): void;
  /** CSV only: the header's column names, once read. */
  header?(names: string[]): void;
}

export interface RowReaderOptions {
  /**
   * Longest allowed row in bytes, line break excluded (default: no limit). A longer JSONL line is
   * reported and skipped up to its line break without being buffered. For CSV the limit bounds the
   * record's field content as csv-parse counts it; a longer record ends parsing, because where the
   * next record starts cannot be known once quoting is in doubt.
   */
  maxRowBytes?: number;
}

/** Turns the chunks of a dataset file into rows and problems, synchronously, one chunk at a time. */
export interface RowReader {
  /** Parses the rows this chunk completes; an unfinished row waits for the next chunk. */
  push(chunk: Buffer): void;
  /** Parses the last row and checks the file as a whole (empty file, trailing blank lines). */
  end(): Promise<void>;
  /** Releases the parser when the caller stops before the end. */
  close(): void;
}

export function createRowReader(format: DatasetFormat, sink: RowSink, options: RowReaderOptions = {}): RowReader {
  const maxRowBytes = options.maxRowBytes ?? Number.POSITIVE_INFINITY;
  return new Utf16Guard(format === 'JSONL' ? new JsonlRowReader(sink, maxRowBytes) : new CsvRowReader(sink, maxRowBytes), sink);
}

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);

function issue(line: number, problem: string): DatasetIssue {
  return { line, message: `line ${line}: ${problem}` };
}

function tooLong(maxRowBytes: number): string {
  return `the row is longer than the limit of ${maxRowBytes} bytes`;
}

const NOT_UTF8 = 'the line is not valid UTF-8; dataset files must be UTF-8 encoded';

/**
 * Rejects a UTF-16 file as a whole, from its first two bytes: a UTF-16 byte order mark, or a NUL
 * beside the first character (ASCII in UTF-16). Parsed as UTF-8, such a file would give a NUL-laden
 * error on every other line instead of one clear answer.
 */
class Utf16Guard implements RowReader {
  /** The file's first bytes while fewer than two have arrived. */
  private head = EMPTY;
  private verdict: 'pending' | 'utf16' | 'other' = 'pending';

  constructor(
    private readonly reader: RowReader,
    private readonly sink: RowSink,
  ) {}

  push(chunk: Buffer): void {
    if (this.verdict === 'other') return this.reader.push(chunk);
    if (this.verdict === 'utf16') return;
    this.head = Buffer.concat([this.head, chunk]);
    if (this.head.length >= 2) this.decide();
  }

  async end(): Promise<void> {
    if (this.verdict === 'pending') this.decide();
    if (this.verdict === 'other') await this.reader.end();
  }

  close(): void {
    this.reader.close();
  }

  private decide(): void {
    const [first, second] = this.head;
    const byteOrderMark = (first === 0xff && second === 0xfe) || (first === 0xfe && second === 0xff);
    if (byteOrderMark || (this.head.length >= 2 && (first === 0 || second === 0))) {
      this.verdict = 'utf16';
      const why = byteOrderMark ? 'it starts with a UTF-16 byte order mark' : 'its first bytes hold a NUL, as UTF-16 text does';
      this.sink.issue(issue(1, `the file is UTF-16 encoded (${why}), not UTF-8; save it as UTF-8 and upload it again. The rest of the file was not checked`));
      this.reader.close();
    } else {
      this.verdict = 'other';
      const head = this.head;
      this.head = EMPTY;
      if (head.length > 0) this.reader.push(head);
    }
  }
}

class JsonlRowReader implements RowReader {
  /** Lines completed so far; the line being read is `lines + 1`. */
  private lines = 0;
  private rows = 0;
  /** The start of a line that continues in the next chunk (a buffer reused and grown on demand). */
  private carry = EMPTY;
  private carryLength = 0;
  /** Set while dropping the rest of an over-long line up to its line break. */
  private skipping = false;

  constructor(
    private readonly sink: RowSink,
    private readonly maxRowBytes: number,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    if (this.skipping || this.carryLength > 0) {
      const newline = chunk.indexOf(LF);
      if (newline === -1) {
        this.hold(chunk, 0);
        return;
      }
      if (this.skipping) {
        this.skipping = false;
        this.lines++;
      } else if (this.carryLength + newline > this.maxRowBytes + 1) {
        this.carryLength = 0;
        this.sink.issue(issue(++this.lines, tooLong(this.maxRowBytes)));
      } else {
        this.append(chunk, 0, newline);
        this.parseCarry();
      }
      start = newline + 1;
    }
    for (let newline = chunk.indexOf(LF, start); newline !== -1; newline = chunk.indexOf(LF, start)) {
      this.parseLine(chunk, start, newline);
      start = newline + 1;
    }
    this.hold(chunk, start);
  }

  async end(): Promise<void> {
    if (this.skipping) {
      this.skipping = false;
      this.lines++;
    } else if (this.carryLength > 0) {
      this.parseCarry();
    }
    if (this.lines === 0) this.sink.issue(issue(1, 'the file is empty; a dataset needs at least one row'));
  }

  close(): void {
    this.carry = EMPTY;
    this.carryLength = 0;
  }

  /** Keeps the unfinished line `chunk[start..]`, or reports it and skips the rest once it cannot fit the limit. */
  private hold(chunk: Buffer, start: number): void {
    if (this.skipping || start === chunk.length) return;
    // +1 leaves room for the CR of a CRLF, which does not count towards the limit.
    if (this.carryLength + chunk.length - start > this.maxRowBytes + 1) {
      this.carryLength = 0;
      this.skipping = true;
      this.sink.issue(issue(this.lines + 1, tooLong(this.maxRowBytes)));
      return;
    }
    this.append(chunk, start, chunk.length);
  }

  private append(chunk: Buffer, start: number, end: number): void {
    const length = this.carryLength + end - start;
    if (length > this.carry.length) {
      const grown = Buffer.allocUnsafe(Math.max(length, this.carry.length * 2));
      this.carry.copy(grown, 0, 0, this.carryLength);
      this.carry = grown;
    }
    chunk.copy(this.carry, this.carryLength, start, end);
    this.carryLength = length;
  }

  private parseCarry(): void {
    const length = this.carryLength;
    this.carryLength = 0;
    this.parseLine(this.carry, 0, length);
  }

  private parseLine(bytes: Buffer, start: number, end: number): void {
    const line = ++this.lines;
    if (end > start && bytes[end - 1] === CR) end--;
    // Measured before the byte order mark is dropped, so the verdict never depends on chunk boundaries.
    if (end - start > this.maxRowBytes) {
      this.sink.issue(issue(line, tooLong(this.maxRowBytes)));
      return;
    }
    if (line === 1 && hasByteOrderMark(bytes, start, end)) start += 3;
    const text = bytes.toString('utf8', start, end);
    // Invalid bytes decode to U+FFFD; the byte check only runs for the rare line that has one.
    if (text.includes('\uFFFD') && !isUtf8(bytes.subarray(start, end))) {
      this.sink.issue(issue(line, NOT_UTF8));
      return;
    }
    const result = parseJsonlLine(text, this.rows);
    if (result.ok) {
      this.rows++;
      this.sink.row(result.row);
    } else {
      this.sink.issue(issue(line, result.message));
    }
  }
}

function hasByteOrderMark(bytes: Buffer, start: number, end: number): boolean {
  return end - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf;
}

class CsvRowReader implements RowReader {
  private readonly parser: Parser;
  /** Settles when the parser is done: with its error (a CsvError ends parsing), or undefined. */
  private readonly outcome: Promise<unknown>;
  private readonly utf8: Utf8LineChecker;
  /** Lines of invalid UTF-8 (or with a NUL) found ahead of the parser, reported once the rows before them are. */
  private readonly invalidUtf8Lines: DatasetIssue[] = [];
  private header: CsvHeader | null = null;
  /** The line after the last record, where the next record starts unless blank lines come first. */
  private nextLine = 1;
  private blankLinesSeen = 0;
  private records = 0;
  private rows = 0;
  /** The file's last bytes, to tell a trailing blank line from the final line break. */
  private tail = EMPTY;

  constructor(
    private readonly sink: RowSink,
    private readonly maxRowBytes: number,
  ) {
    this.parser = new Parser({
      bom: true,
      // LF and CRLF both end records, even mixed in one file; a lone CR is data.
      record_delimiter: ['\r\n', '\n'],
      // Field counts are checked here, so that a short row is one error instead of the end of parsing.
      relax_column_count: true,
      // Skipped blank lines are counted in context.empty_lines, which places them by line number.
      skip_empty_lines: true,
      // Bounds what the parser buffers for one record, e.g. after an unclosed quote (0: no limit).
      max_record_size: Number.isFinite(maxRowBytes) ? maxRowBytes : 0,
      on_record: (fields: string[], context: CastingContext) => {
        this.onRecord(fields, context);
        // Consumed here: nothing is queued on the stream's readable side.
        return null;
      },
    });
    this.outcome = finished(this.parser).then(
      () => undefined,
      (error: unknown) => error,
    );
    // Lets the (empty) readable side end, which finished() waits for.
    this.parser.resume();
    this.utf8 = new Utf8LineChecker((line, problem) => this.invalidUtf8Lines.push(issue(line, problem)));
  }

  push(chunk: Buffer): void {
    this.utf8.push(chunk);
    this.tail = Buffer.concat([this.tail, chunk.subarray(-3)]).subarray(-3);
    // Records are handled synchronously inside write(); after a parse error the parser stops being writable.
    if (this.parser.writable) this.parser.write(chunk);
  }

  async end(): Promise<void> {
    this.utf8.end();
    if (this.parser.writable) this.parser.end();
    const error = await this.outcome;
    if (error instanceof CsvError) {
      const line = this.recordStart(typeof error.empty_lines === 'number' ? error.empty_lines : this.blankLinesSeen);
      this.report(line, `${this.explain(error)}; the rest of the file was not checked`);
    } else if (error !== undefined) {
      throw error;
    } else if (this.header === null) {
      this.report(1, 'the file is empty; a CSV dataset starts with a header row');
    } else if (endsWithBlankLine(this.tail)) {
      this.report(this.nextLine, BLANK_LINE);
    } else if (this.records === 1) {
      this.report(this.nextLine, 'the file has a header row but no data rows; a dataset needs at least one row');
    }
    this.reportInvalidUtf8(Number.POSITIVE_INFINITY);
  }

  close(): void {
    this.parser.destroy();
  }

  private onRecord(fields: string[], context: CastingContext): void {
    const line = this.recordStart(context.empty_lines);
    this.nextLine = line + 1 + countLineFeeds(fields);
    this.records++;
    if (this.header === null) {
      const { header, problems } = parseCsvHeader(fields);
      this.header = header;
      for (const problem of problems) this.report(line, problem);
      this.sink.header?.(header.names);
      return;
    }
    const result = parseCsvRecord(this.header, fields, this.rows);
    if (result.ok) {
      this.rows++;
      this.sink.row(result.row);
    } else {
      this.report(line, result.message);
    }
  }

  /** The line where the current record starts, given the parser's count of blank lines skipped so far. */
  private recordStart(blankLines: number): number {
    if (blankLines > this.blankLinesSeen) {
      this.report(this.nextLine, BLANK_LINE);
      this.nextLine += blankLines - this.blankLinesSeen;
      this.blankLinesSeen = blankLines;
    }
    return this.nextLine;
  }

  private report(line: number, problem: string): void {
    this.reportInvalidUtf8(line);
    this.sink.issue(issue(line, problem));
  }

  /** Reports the invalid UTF-8 lines up to `line`, keeping issues in line order. */
  private reportInvalidUtf8(line: number): void {
    while (this.invalidUtf8Lines.length > 0 && this.invalidUtf8Lines[0]!.line <= line) {
      this.sink.issue(this.invalidUtf8Lines.shift()!);
    }
  }

  private explain(error: CsvError): string {
    switch (error.code) {
      case 'CSV_QUOTE_NOT_CLOSED':
        return 'a quoted field is never closed; a field that starts with " must end with "';
      case 'CSV_INVALID_CLOSING_QUOTE':
        return (
          'a quoted field goes on after its closing quote; the closing " must be followed by a comma or ' +
          'a line break, and a " inside a quoted field is written ""'
        );
      case 'INVALID_OPENING_QUOTE':
        return 'an unquoted field contains "; such a field must be enclosed in quotes, with each " inside written ""';
      case 'CSV_MAX_RECORD_SIZE':
        return tooLong(this.maxRowBytes);
      default:
        return `the file is not valid CSV (${error.message})`;
    }
  }
}

/**
 * Whether the file ends with LF, optional CR, LF. Checked only after a successful parse, when
 * both line breaks are outside quotes, so the line between them is blank.
 */
function endsWithBlankLine(tail: Buffer): boolean {
  return tail.at(-1) === LF && (tail.at(-2) === LF || (tail.at(-2) === CR && tail.at(-3) === LF));
}

/** Line feeds inside quoted fields: each one makes the record span one more line. */
function countLineFeeds(fields: string[]): number {
  let count = 0;
  for (const field of fields) {
    for (let at = field.indexOf('\n'); at !== -1; at = field.indexOf('\n', at + 1)) count++;
  }
  return count;
}

/**
 * Finds the lines of a chunked byte stream that are not valid UTF-8 or hold a NUL byte (valid UTF-8,
 * but no text dataset has one, and the database refuses it). The fast path checks a whole chunk
 * natively; a character split across chunks is checked once both halves have arrived.
 */
class Utf8LineChecker {
  /** Line number at the start of the bytes not yet checked. */
  private line = 1;
  /** An incomplete character at the end of the last chunk. */
  private partial = EMPTY;
  private lastInvalidLine = 0;

  constructor(private readonly onInvalid: (line: number, problem: string) => void) {}

  push(chunk: Buffer): void {
    const bytes = this.partial.length === 0 ? chunk : Buffer.concat([this.partial, chunk]);
    const complete = bytes.length - incompleteCharacterLength(bytes);
    this.check(bytes.subarray(0, complete));
    // A copy, so that the chunk is not kept alive for a few bytes.
    this.partial = Buffer.from(bytes.subarray(complete));
  }

  end(): void {
    if (this.partial.length > 0) this.invalid(this.line, NOT_UTF8);
    this.partial = EMPTY;
  }

  private check(bytes: Buffer): void {
    const valid = isUtf8(bytes) && !bytes.includes(0);
    let start = 0;
    for (let newline = bytes.indexOf(LF); newline !== -1; newline = bytes.indexOf(LF, start)) {
      if (!valid) this.checkLine(bytes.subarray(start, newline));
      this.line++;
      start = newline + 1;
    }
    if (!valid) this.checkLine(bytes.subarray(start));
  }

  private checkLine(bytes: Buffer): void {
    if (!isUtf8(bytes)) this.invalid(this.line, NOT_UTF8);
    else if (bytes.includes(0)) this.invalid(this.line, NUL_BYTE);
  }

  private invalid(line: number, problem: string): void {
    // A line split across chunks can fail on both sides; it is one problem.
    if (line === this.lastInvalidLine) return;
    this.lastInvalidLine = line;
    this.onInvalid(line, problem);
  }
}

/** Length of the character cut off at the end of `bytes` (0 when the last one is complete or invalid anyway). */
function incompleteCharacterLength(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back];
    // Continuation bytes are 10xxxxxx; anything else starts a character.
    if ((byte & 0xc0) !== 0x80) {
      const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
      return length > back ? back : 0;
    }
  }
  return 0;
}
