/**
 * Dataset ingest benchmark: validates a generated JSONL file read from the blob store (the
 * local adapter, the embedded default) by streaming it through validateDataset, as the
 * validation worker does, and prints one JSON line with the throughput and peak RSS.
 *
 *   npx tsx bench/dataset-ingest.ts [--size-mb 1024]
 *
 * The file is generated once under .bench/ and stored once; both are reused while they have the
 * requested size. MB here means 2^20 bytes, for --size-mb, mbPerSecond and peakRssMb alike.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { validateDataset } from '../src/modules/datasets/dataset-validation.js';
import { LocalBlobStore } from '../src/storage/blobs/index.js';
import { random } from './lib/random.js';

const MB = 1024 * 1024;

const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '1024' },
  },
});
const sizeBytes = Number(values['size-mb']) * MB;
if (!Number.isInteger(sizeBytes) || sizeBytes < MB) throw new Error('--size-mb must be a whole number of at least 1');

const WORDS = (
  'the model answer question context summary document evidence claim source user assistant ' +
  'reasoning step result value compare explain translate classify extract entity date number ' +
  'city river mountain protein enzyme contract clause invoice customer refund policy latency ' +
  'café naïve façade résumé 東京 データ'
).split(' ');
const TASKS = ['qa', 'summarization', 'classification', 'extraction', 'translation'];

function rowGenerator(next: () => number): (index: number) => string {
  const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)];
  const sentence = (minWords: number, maxWords: number): string => {
    const count = minWords + Math.floor(next() * (maxWords - minWords + 1));
    return Array.from({ length: count }, () => pick(WORDS)).join(' ');
  };
  return (index) =>
    JSON.stringify({
      input: {
        question: sentence(6, 18) + '?',
        context: sentence(15, 45) + '.',
        language: pick(['en', 'fr', 'de', 'ja']),
        task: pick(TASKS),
      },
      expected: sentence(2, 12),
      metadata: {
        id: `row-${index}`,
        source: pick(['wiki', 'support', 'legal', 'science']),
        difficulty: 1 + (index % 5),
      },
    }) + '\n';
}

/** Writes the benchmark file with exactly `bytes` bytes, via a temporary file so a partial run is never reused. */
async function generate(path: string, bytes: number): Promise<void> {
  const temporary = `${path}.tmp`;
  const out = createWriteStream(temporary);
  const nextRow = rowGenerator(random(42));
  let written = 0;
  let index = 0;
  let batch: string[] = [];
  let batchBytes = 0;
  const flush = async () => {
    if (!out.write(batch.join(''))) await once(out, 'drain');
    batch = [];
    batchBytes = 0;
  };
  // Stop while at least 100 bytes are left (rows are under 1000), then one padding row makes the size exact.
  for (;;) {
    const row = nextRow(index++);
    const length = Buffer.byteLength(row);
    if (written + length > bytes - 100) break;
    batch.push(row);
    batchBytes += length;
    written += length;
    if (batchBytes >= 4 * MB) await flush();
  }
  const paddingRow = (length: number) =>
    JSON.stringify({ input: { question: 'padding' }, metadata: { padding: 'x'.repeat(length) } }) + '\n';
  batch.push(paddingRow(bytes - written - Buffer.byteLength(paddingRow(0))));
  await flush();
  out.end();
  await once(out, 'finish');
  await rename(temporary, path);
}

const directory = fileURLToPath(new URL('../.bench/', import.meta.url));
const file = `${directory}dataset-ingest-${values['size-mb']}mb.jsonl`;
await mkdir(directory, { recursive: true });
const existing = await stat(file).catch(() => null);
if (existing?.size !== sizeBytes) {
  console.error(`generating ${file} (${values['size-mb']} MB)…`);
  await generate(file, sizeBytes);
}

const blobs = new LocalBlobStore({ root: `${directory}blobs`, publicBaseUrl: 'http://localhost:4000', signingSecret: Buffer.alloc(32, 7) });
const key = `bench/dataset-ingest-${values['size-mb']}mb.jsonl`;
if ((await blobs.head(key))?.sizeBytes !== sizeBytes) {
  console.error(`storing ${file} in the local blob store…`);
  // Objects are write-once: clear whatever the key holds (another size, a crashed write's leftovers) first.
  await blobs.delete(key);
  await blobs.put(key, createReadStream(file), 'application/x-ndjson', sizeBytes);
}

let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 50);
const started = performance.now();
const result = await validateDataset(await blobs.read(key), 'JSONL', { maxRowBytes: 64 * 1024 });
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage.rss());

if (result.errorCount > 0 || result.sizeBytes !== sizeBytes) {
  throw new Error(`the benchmark file did not validate: ${JSON.stringify(result.errors.slice(0, 3))}`);
}
console.log(
  JSON.stringify({
    bench: 'dataset-ingest',
    store: blobs.kind,
    bytes: result.sizeBytes,
    rows: result.rowCount,
    seconds: Number(seconds.toFixed(3)),
    mbPerSecond: Number((result.sizeBytes / MB / seconds).toFixed(1)),
    peakRssMb: Number((peakRss / MB).toFixed(1)),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
  }),
);
