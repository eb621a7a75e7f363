import { InvalidArgumentError, type Command } from 'commander';
import { parseGlobalId } from '../common/global-id.js';
import type { MetricComparisonData } from '../modules/metrics/metrics.service.js';
import { describeLabError, isCloseEvent, LabClient, LabError } from './lab-client.js';

/** `run watch` and `run start --watch` exit with these, so scripts can tell a finished run from a failed one. */
export const RUN_EXIT_CODES = { SUCCEEDED: 0, ERROR: 1, FAILED: 3, CANCELLED: 4 } as const;

const FINAL_STATUSES = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

interface Progress {
  total: number;
  queued: number;
  running: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  fraction: number;
  etaSeconds: number | null;
}

interface RunSummary {
  id: string;
  status: string;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  progress: Progress;
  usage: { promptTokens: number; completionTokens: number; costUsd: number };
}

type ProgressEvent =
  | { __typename: 'RunStatusChanged'; sequence: number; status: string; error: string | null; progress: Progress }
  | { __typename: 'TaskUpdated'; sequence: number; progress: Progress; task: { id: string; usage: { costUsd: number } | null } };

/** The API's MetricComparison, as compareRuns answers it. */
type MetricComparison = MetricComparisonData;

interface Page<T> {
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const PROGRESS_FIELDS = 'total queued running succeeded failed cancelled fraction etaSeconds';
const PAGE_INFO = 'pageInfo { hasNextPage endCursor }';

const RUN_SUMMARY = `query RunSummary($id: ID!) {
  run(id: $id) { id status error startedAt finishedAt progress { ${PROGRESS_FIELDS} } usage { promptTokens completionTokens costUsd } }
}`;

const RUN_PROGRESS = `subscription RunProgress($runId: ID!, $afterSequence: Int) {
  runProgress(runId: $runId, afterSequence: $afterSequence) {
    __typename
    ... on RunStatusChanged { sequence status error progress { ${PROGRESS_FIELDS} } }
    ... on TaskUpdated { sequence progress { ${PROGRESS_FIELDS} } task { id usage { costUsd } } }
  }
}`;

const START_RUN = `mutation StartRun($input: StartRunInput!) { startRun(input: $input) { id status progress { total } } }`;

const COMPARE_RUNS = `query CompareRuns($baseline: ID!, $candidate: ID!, $metrics: [String!]) {
  compareRuns(baselineRunId: $baseline, candidateRunId: $candidate, metrics: $metrics) {
    baseline { id } candidate { id }
    metrics { name pairedCount baselineMean candidateMean delta deltaCi95Low deltaCi95High pValue improved regressed unchanged }
  }
}`;

const listQuery = (field: 'experiments' | 'datasets' | 'prompts' | 'models') =>
  `query List($after: String${field === 'experiments' ? ', $search: String' : ''}) {
  ${field}(first: 100, after: $after${field === 'experiments' ? ', search: $search, includeArchived: true' : ''}) { nodes { id name } ${PAGE_INFO} }
}`;

const versionsQuery = (field: 'dataset' | 'prompt') => `query Versions($id: ID!, $after: String) {
  ${field}(id: $id) { name latestVersion { id version } versions(first: 100, after: $after) { nodes { id version } ${PAGE_INFO} } }
}`;

// ---- resolving names ----

/** The id of the one `field` entry named `name` (or `ref` itself when it is an id of `type`). */
async function resolveNamed(client: LabClient, field: 'experiments' | 'datasets' | 'prompts' | 'models', type: string, ref: string): Promise<string> {
  if (parseGlobalId(ref)?.type === type) return ref;
  const matches: string[] = [];
  let after: string | null = null;
  do {
    const data: Record<string, Page<{ id: string; name: string }>> = await client.request(listQuery(field), { after, ...(field === 'experiments' ? { search: ref } : {}) });
    const page = data[field]!;
    matches.push(...page.nodes.filter((n) => n.name === ref).map((n) => n.id));
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  const what = type.toLowerCase();
  if (matches.length === 0) throw new LabError(`No ${what} named "${ref}" in this project (pass its name or id).`, 'NOT_FOUND');
  if (matches.length > 1) throw new LabError(`${matches.length} ${field} are named "${ref}"; pass one of their ids: ${matches.join(', ')}.`, 'BAD_USER_INPUT');
  return matches[0]!;
}

/** `NAME_OR_ID[@VERSION]` of a dataset or prompt to a version id; a version id passes through. */
async function resolveVersion(client: LabClient, field: 'dataset' | 'prompt', ref: string): Promise<string> {
  const type = field === 'dataset' ? 'Dataset' : 'Prompt';
  if (parseGlobalId(ref)?.type === `${type}Version`) return ref;
  const at = /^(.*)@(\d+)$/.exec(ref);
  const parentRef = at ? at[1]! : ref;
  const wanted = at ? Number(at[2]) : null;
  const id = await resolveNamed(client, `${field}s`, type, parentRef);
  let after: string | null = null;
  for (;;) {
    type Versioned = { name: string; latestVersion: { id: string; version: number } | null; versions: Page<{ id: string; version: number }> };
    const data: Record<string, Versioned | null> = await client.request(versionsQuery(field), { id, after });
    const parent = data[field];
    if (!parent) throw new LabError(`No ${field} ${parentRef} in this project.`, 'NOT_FOUND');
    if (wanted === null) {
      if (!parent.latestVersion) throw new LabError(`The ${field} "${parent.name}" has no version yet.`, 'BAD_USER_INPUT');
      return parent.latestVersion.id;
    }
    const found = parent.versions.nodes.find((v) => v.version === wanted);
    if (found) return found.id;
    if (!parent.versions.pageInfo.hasNextPage) throw new LabError(`The ${field} "${parent.name}" has no version ${wanted}.`, 'NOT_FOUND');
    after = parent.versions.pageInfo.endCursor;
  }
}

interface EvaluatorInput {
  kind: string;
  name?: string;
  params?: unknown;
}

/** `NAME:KIND[:JSON-PARAMS]`; an empty NAME takes the kind's default metric name. */
export function parseEvaluator(value: string): EvaluatorInput {
  const match = /^([^:]*):([A-Za-z_]+)(?::(.*))?$/s.exec(value);
  if (!match) throw new InvalidArgumentError('expected NAME:KIND[:JSON-PARAMS], e.g. exact:EXACT_MATCH or judge:LLM_JUDGE:{"modelId":"...","rubric":"..."}');
  const [, name, kind, params] = match;
  const evaluator: EvaluatorInput = { kind: kind!.toUpperCase() };
  if (name) evaluator.name = name;
  if (params !== undefined) {
    try {
      evaluator.params = JSON.parse(params);
    } catch {
      throw new InvalidArgumentError(`the params after the kind must be JSON (got ${params})`);
    }
  }
  return evaluator;
}

// ---- watching ----

const pct = (fraction: number) => `${Math.floor(fraction * 100)}%`.padStart(4);
const money = (usd: number) => `$${usd < 1 ? usd.toPrecision(3) : usd.toFixed(2)}`;
const duration = (seconds: number) => (seconds < 90 ? `${Math.round(seconds)}s` : seconds < 5400 ? `${Math.round(seconds / 60)}m` : `${(seconds / 3600).toFixed(1)}h`);
const counts = (p: Progress) => `${p.succeeded} succeeded, ${p.failed} failed, ${p.cancelled} cancelled`;

/** A one-line bar redrawn with \r on a terminal; elsewhere a line per tenth of the run and per status change. */
class ProgressView {
  private status = '';
  private decile = -1;
  private drawn = false;
  private readonly costs = new Map<string, number>();

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly tty = Boolean(out.isTTY),
  ) {}

  update(event: ProgressEvent | { status: string; progress: Progress }): void {
    const statusChanged = 'status' in event && event.status !== this.status;
    if ('status' in event) this.status = event.status;
    if ('task' in event && event.task.usage) this.costs.set(event.task.id, event.task.usage.costUsd);
    const p = event.progress;
    if (this.tty) {
      const width = 24;
      const filled = Math.round(p.fraction * width);
      const eta = p.etaSeconds === null ? '' : `  ETA ${duration(p.etaSeconds)}`;
      const cost = this.costs.size > 0 ? `  ${money([...this.costs.values()].reduce((a, b) => a + b, 0))}` : '';
      const line = `${this.status.padEnd(10)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${pct(p.fraction)} ${p.succeeded + p.failed + p.cancelled}/${p.total}  ok ${p.succeeded}  failed ${p.failed}  cancelled ${p.cancelled}  running ${p.running}${eta}${cost}`;
      this.out.write(`\r\x1b[K${line}`);
      this.drawn = true;
      return;
    }
    const decile = Math.floor(p.fraction * 10);
    if (!statusChanged && decile <= this.decile) return;
    this.decile = Math.max(this.decile, decile);
    const ended = p.succeeded + p.failed + p.cancelled;
    this.out.write(`[${pct(p.fraction)}] ${this.status} ${ended}/${p.total} tasks ended: ${counts(p)}; ${p.running} running, ${p.queued} queued\n`);
  }

  /** Ends the bar's line so other text starts on a line of its own. */
  breakLine(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}

function summary(run: RunSummary): string {
  const took = run.startedAt && run.finishedAt ? ` in ${duration((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000)}` : '';
  const u = run.usage;
  return [
    `Run ${run.id} ${run.status}${took}`,
    `  tasks: ${run.progress.total} total, ${counts(run.progress)}${run.progress.queued + run.progress.running > 0 ? `, ${run.progress.running} running, ${run.progress.queued} queued` : ''}`,
    `  usage: ${u.promptTokens} prompt tokens, ${u.completionTokens} completion tokens, ${money(u.costUsd)}`,
    ...(run.error ? [`  error: ${run.error}`] : []),
  ].join('\n');
}

async function runSummary(client: LabClient, id: string): Promise<RunSummary> {
  const { run } = await client.request<{ run: RunSummary | null }>(RUN_SUMMARY, { id });
  if (!run) throw new LabError(`No run with id ${id} in this project.`, 'NOT_FOUND');
  return run;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Follows the run's events to its final status, resubscribing after the last sequence seen when the socket drops. */
async function follow(client: LabClient, runId: string, view: ProgressView, maxDrops = 30): Promise<void> {
  let afterSequence = 0;
  let drops = 0;
  for (;;) {
    try {
      for await (const data of client.subscribe<{ runProgress: ProgressEvent }>(RUN_PROGRESS, { runId, afterSequence })) {
        const event = data.runProgress;
        if (event.sequence <= afterSequence) continue;
        afterSequence = event.sequence;
        drops = 0;
        view.update(event);
        if (event.__typename === 'RunStatusChanged' && FINAL_STATUSES.includes(event.status)) return;
      }
      // The stream ended without a final status: the server is shutting down; resume like after a drop.
    } catch (err) {
      if (err instanceof LabError) throw err;
      if (++drops > maxDrops) throw client.unreachable(err);
      view.breakLine();
      const why = isCloseEvent(err) ? `closed (${err.code}${err.reason ? `: ${err.reason}` : ''})` : 'lost';
      process.stderr.write(`llm-lab: connection to the lab ${why}; resuming after event ${afterSequence} ...\n`);
    }
    await sleep(Math.min(5_000, 250 * 2 ** Math.min(drops, 5)));
  }
}

async function watch(client: LabClient, runId: string): Promise<number> {
  const initial = await runSummary(client, runId);
  const view = new ProgressView(process.stdout);
  process.stdout.write(`Watching run ${runId} (${initial.status}, ${initial.progress.total} tasks)${FINAL_STATUSES.includes(initial.status) ? ': replaying its events' : ''}\n`);
  await follow(client, runId, view);
  view.breakLine();
  const run = await runSummary(client, runId);
  process.stdout.write(`${summary(run)}\n`);
  return run.status === 'FAILED' ? RUN_EXIT_CODES.FAILED : run.status === 'CANCELLED' ? RUN_EXIT_CODES.CANCELLED : RUN_EXIT_CODES.SUCCEEDED;
}

// ---- comparing ----

/** Four significant digits, without trailing zeros. */
const num = (x: number) => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4))));
const signed = (x: number) => (x > 0 ? `+${num(x)}` : num(x));

/** The metric table of `run compare`: one row per metric, columns aligned. */
export function comparisonTable(metrics: MetricComparison[]): string {
  const header = ['metric', 'mean A', 'mean B', 'delta', '95% CI', 'p-value', 'n'];
  const rows = metrics.map((m) => [
    m.name,
    num(m.baselineMean),
    num(m.candidateMean),
    signed(m.delta),
    `[${signed(m.deltaCi95Low)}, ${signed(m.deltaCi95High)}]`,
    m.pValue < 0.0001 ? '<0.0001' : m.pValue.toFixed(4),
    String(m.pairedCount),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

// ---- the commands ----

interface Connection {
  url?: string;
  key?: string;
}

const positiveInt = (what: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a whole number of at least 1`);
  return n;
};
const collect = <T>(parse: (value: string) => T) => (value: string, previous: T[] = []) => [...previous, parse(value)];

/** Runs a verb and exits with its code; a failure is its message, code and request id, never a stack. */
function labAction<A extends unknown[]>(verb: (client: LabClient, ...args: A) => Promise<number>) {
  return async (...args: A) => {
    // Commander passes the options second to last, before the command itself.
    const connection = args[args.length - 2] as Connection;
    let code: number = RUN_EXIT_CODES.ERROR;
    let client: LabClient | null = null;
    try {
      client = new LabClient(connection);
      code = await verb(client, ...args);
    } catch (err) {
      process.stderr.write(`llm-lab: ${describeLabError(err)}\n`);
    } finally {
      await client?.close().catch(() => {});
    }
    process.exit(code);
  };
}

function withConnection(command: Command): Command {
  return command
    .option('--url <url>', 'the lab\'s base URL (default: LAB_URL, else http://127.0.0.1:4000)')
    .option('--key <key>', 'API key (default: LAB_API_KEY, which keeps it out of the process list)');
}

const EXIT_HELP = `Exit codes: ${RUN_EXIT_CODES.SUCCEEDED} the run SUCCEEDED (some tasks may have failed), ${RUN_EXIT_CODES.FAILED} it FAILED, ${RUN_EXIT_CODES.CANCELLED} it was CANCELLED, ${RUN_EXIT_CODES.ERROR} the lab could not be asked (bad key, unknown run, unreachable).`;

export function registerRunCommands(program: Command): void {
  const run = program.command('run').description('Start, watch and compare runs on a lab over its GraphQL API (LAB_URL, LAB_API_KEY)');

  withConnection(run.command('start'))
    .description('Start a run of an experiment and print its id; --watch follows it to the end')
    .requiredOption('--experiment <id-or-name>', 'the experiment')
    .requiredOption('--dataset <id-or-name[@version]>', 'the dataset and version (default: its latest)')
    .requiredOption('--prompt <id-or-name[@version]>', 'a prompt and version (default: its latest); repeatable', collect(String))
    .requiredOption('--model <id-or-name>', 'a model; repeatable', collect(String))
    .option('--evaluator <name:kind[:json-params]>', 'a scorer, e.g. exact:EXACT_MATCH; repeatable', collect(parseEvaluator))
    .option('--repetitions <n>', 'times each row x prompt x model is run', positiveInt('--repetitions'))
    .option('--concurrency <n>', 'in-flight tasks of the run across workers', positiveInt('--concurrency'))
    .option('--budget <usd>', 'most the run may cost, in USD', (value) => {
      const usd = Number(value);
      if (!(usd > 0)) throw new InvalidArgumentError('--budget must be a number of USD above 0');
      return usd;
    })
    .option('--watch', 'follow the run with a progress bar until it ends', false)
    .addHelpText('after', `\nWith --watch: ${EXIT_HELP}`)
    .action(
      labAction(async (client, options: Connection & { experiment: string; dataset: string; prompt: string[]; model: string[]; evaluator?: EvaluatorInput[]; repetitions?: number; concurrency?: number; budget?: number; watch: boolean }) => {
        const input = {
          experimentId: await resolveNamed(client, 'experiments', 'Experiment', options.experiment),
          datasetVersionId: await resolveVersion(client, 'dataset', options.dataset),
          promptVersionIds: await Promise.all(options.prompt.map((p) => resolveVersion(client, 'prompt', p))),
          modelIds: await Promise.all(options.model.map((m) => resolveNamed(client, 'models', 'Model', m))),
          evaluators: options.evaluator ?? [],
          repetitions: options.repetitions,
          concurrency: options.concurrency,
          maxCostUsd: options.budget,
        };
        const { startRun } = await client.request<{ startRun: { id: string; status: string; progress: { total: number } } }>(START_RUN, { input });
        process.stdout.write(`${startRun.id}\n`);
        if (!options.watch) {
          process.stderr.write(`Started run ${startRun.id} (${startRun.progress.total} tasks). Follow it with: llm-lab run watch ${startRun.id}\n`);
          return RUN_EXIT_CODES.SUCCEEDED;
        }
        return watch(client, startRun.id);
      }),
    );

  withConnection(run.command('watch'))
    .description('Follow a run live to its end (a finished run is replayed), then print counts, usage and cost')
    .argument('<run-id>', 'the run')
    .addHelpText('after', `\n${EXIT_HELP}`)
    .action(labAction((client, runId: string) => watch(client, runId)));

  withConnection(run.command('compare'))
    .description('Compare two runs over their paired tasks: per metric, mean of A and B, delta (B - A), its 95% CI, p-value, pairs')
    .argument('<run-a>', 'the baseline run')
    .argument('<run-b>', 'the candidate run')
    .option('--metric <name>', 'only this metric; repeatable (default: every metric both runs have)', collect(String))
    .option('--json', 'print the API\'s result as JSON', false)
    .action(
      labAction(async (client, baseline: string, candidate: string, options: Connection & { metric?: string[]; json: boolean }) => {
        const { compareRuns } = await client.request<{ compareRuns: { baseline: { id: string }; candidate: { id: string }; metrics: MetricComparison[] } }>(COMPARE_RUNS, {
          baseline,
          candidate,
          metrics: options.metric ?? null,
        });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(compareRuns, null, 2)}\n`);
          return RUN_EXIT_CODES.SUCCEEDED;
        }
        if (compareRuns.metrics.length === 0) {
          process.stderr.write(`llm-lab: the runs have no ${options.metric ? `metric named ${options.metric.join(' or ')}` : 'metric'} in common on paired tasks.\n`);
          return RUN_EXIT_CODES.ERROR;
        }
        process.stdout.write(`A = ${compareRuns.baseline.id} (baseline), B = ${compareRuns.candidate.id}; delta = B - A over paired tasks, paired bootstrap CI, paired t-test.\n\n`);
        process.stdout.write(`${comparisonTable(compareRuns.metrics)}\n`);
        return RUN_EXIT_CODES.SUCCEEDED;
      }),
    );
}
