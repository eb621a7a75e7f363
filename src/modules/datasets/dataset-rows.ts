import { Readable } from 'node:stream';
import { createRowReader, type DatasetFormat, type DatasetIssue, type DatasetRow } from './dataset-format.js';

export interface ReadDatasetRowsOptions {
  /** Most rows to yield (default: all). Reading stops, and the source is destroyed, once reached. */
  limit?: number;
  /** Rows to skip first (default 0). */
  offset?: number;
  /** Longest row accepted in bytes (default: no limit, the file having passed validation). */
  maxRowBytes?: number;
}

/** A problem in a file that was expected to be valid; the rows before it were yielded. */
export class DatasetRowError extends Error {
  readonly line: number;

  constructor(issue: DatasetIssue) {
    super(issue.message);
    this.name = 'DatasetRowError';
    this.line = issue.line;
  }
}

/**
 * Streams the rows of a validated dataset file, for previews and the run engine, with the same
 * parser as validation. Throws {@link DatasetRowError} at the first problem.
 */
export async function* readDatasetRows(
  source: Readable | AsyncIterable<Buffer>,
  format: DatasetFormat,
  options: ReadDatasetRowsOptions = {},
): AsyncGenerator<DatasetRow, void, undefined> {
  const { limit = Number.POSITIVE_INFINITY, offset = 0, maxRowBytes } = options;
  const chunks: AsyncIterator<Buffer> = source[Symbol.asyncIterator]();
  // Rows parsed from the current chunk, yielded before the next chunk is read.
  const ready: DatasetRow[] = [];
  let problem: DatasetIssue | null = null;
  const reader = createRowReader(
    format,
    {
      row(row) {
        if (problem === null && row.index >= offset) ready.push(row);
      },
      issue(issue) {
        problem ??= issue;
      },
    },
    { maxRowBytes },
  );
  // return() ends an iterator that was started (for a Readable, by destroying it); a Readable
  // never read from is destroyed explicitly.
  const release = async () => {
    await chunks.return?.();
    if (source instanceof Readable) source.destroy();
  };
  let yielded = 0;
  try {
    let done = limit <= 0;
    while (!done) {
      const next = await chunks.next();
      if (next.done) {
        await reader.end();
        done = true;
      } else {
        reader.push(next.value);
      }
      for (const row of ready) {
        if (++yielded === limit) {
          // Release the source before handing over the last row: the caller may never ask for more.
          await release();
          yield row;
          return;
        }
        yield row;
      }
      ready.length = 0;
      if (problem !== null) throw new DatasetRowError(problem);
    }
  } finally {
    reader.close();
    await release();
  }
}
