import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { createRowReader, type DatasetFormat, type DatasetIssue, type DatasetRow } from './dataset-format.js';

export interface DatasetLimits {
  /** Longest allowed row in bytes, line break excluded (see RowReaderOptions for CSV). */
  maxRowBytes: number;
  /** How many problems the result lists; all of them are counted. Default 100. */
  maxErrors?: number;
}

export interface DatasetValidationResult {
  /** Rows that parsed; the file is valid when `errorCount` is 0. */
  rowCount: number;
  /**
   * CSV: the header's names in header order (input columns, `expected`, `metadata`).
   * JSONL: the keys of `input` over all rows that parsed, sorted by UTF-16 code unit, then
   * `expected` if any such row has a non-null `expected`, then `metadata` likewise; a name
   * that is already an input key is not repeated.
   */
  columns: string[];
  /** Hex SHA-256 of the exact bytes read. */
  sha256: string;
  sizeBytes: number;
  /** The first `maxErrors` problems, in line order. */
  errors: DatasetIssue[];
  /** All problems found, including those not listed. */
  errorCount: number;
}

/**
 * Validates a dataset file by streaming it once: every row is parsed and checked, the bytes are
 * hashed, and memory stays bounded by the chunk size and `maxRowBytes` whatever the file size.
 * Takes any byte stream, e.g. a file or blob-store read stream.
 */
export async function validateDataset(
  source: Readable | AsyncIterable<Buffer>,
  format: DatasetFormat,
  limits: DatasetLimits,
): Promise<DatasetValidationResult> {
  const maxErrors = limits.maxErrors ?? 100;
  const hash = createHash('sha256');
  const errors: DatasetIssue[] = [];
  let sizeBytes = 0;
  let rowCount = 0;
  let errorCount = 0;
  let header: string[] = [];
  const inputKeys = new Set<string>();
  let hasExpected = false;
  let hasMetadata = false;

  const reader = createRowReader(
    format,
    {
      row(row: DatasetRow) {
        rowCount++;
        if (format !== 'JSONL') return;
        if (row.expected !== null) hasExpected = true;
        if (row.metadata !== null) hasMetadata = true;
        for (const key in row.input) inputKeys.add(key);
      },
      issue(issue) {
        errorCount++;
        if (errors.length < maxErrors) errors.push(issue);
      },
      header(names) {
        header = names;
      },
    },
    { maxRowBytes: limits.maxRowBytes },
  );
  try {
    for await (const chunk of source) {
      hash.update(chunk);
      sizeBytes += chunk.length;
      reader.push(chunk);
    }
    await reader.end();
  } finally {
    reader.close();
  }

  const columns =
    format === 'CSV'
      ? header
      : [...inputKeys].sort().concat(
          hasExpected && !inputKeys.has('expected') ? ['expected'] : [],
          hasMetadata && !inputKeys.has('metadata') ? ['metadata'] : [],
        );
  return { rowCount, columns, sha256: hash.digest('hex'), sizeBytes, errors, errorCount };
}
