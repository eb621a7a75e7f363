/**
 * CLI start-up benchmark: wall time from starting `llm-lab` (built) to its exit, for a client
 * command (`run watch --help`: commander, the config and the API client) beside loading the server's
 * modules (what every command paid before they were imported lazily) and a bare `node -e 0`.
 * Prints one JSON line; each figure is the median of --runs runs, interleaved.
 *
 *   node --import tsx bench/cli-startup.ts [--runs 9] [--lab DIR]
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '9' }, lab: { type: 'string' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a whole number of at least 1');
const root = fileURLToPath(new URL('..', import.meta.url));
const labRoot = values.lab ?? root;
if (!values.lab) {
  console.error('cli-startup: building the lab (npm run build)');
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (build.status !== 0) throw new Error(`npm run build failed (exit ${build.status})`);
}
const main = join(labRoot, 'dist/src/main.js');
const runtime = pathToFileURL(join(labRoot, 'dist/src/app/runtime.js')).href;

const cases: Record<string, string[]> = {
  nodeAlone: ['-e', '0'],
  runWatchHelp: [main, 'run', 'watch', '--help'],
  serverModules: ['--input-type=module', '-e', `await import(${JSON.stringify(runtime)})`],
};
const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, args] of Object.entries(cases)) {
    const started = performance.now();
    const run = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    if (run.status !== 0) throw new Error(`${name} failed (exit ${run.status}): ${run.stderr}`);
    times[name]!.push(performance.now() - started);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, Math.round(median(xs))]));
console.log(
  JSON.stringify({
    bench: 'cli-startup',
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadAverageAtStart: os.loadavg() },
    node: process.version,
    runs,
    medianMs: ms,
    runWatchOverServerModules: Number((ms.runWatchHelp! / ms.serverModules!).toFixed(2)),
  }),
);
