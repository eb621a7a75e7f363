/**
 * The limit for the console's page query (`ExperimentsWithRuns`): node:http and postgres.js, no
 * GraphQL. It answers POST /graphql for that one query whatever the text sent (only
 * `variables.first` is read), with the lab's API-key check and hand-written SQL batched per
 * level of the query, and writes the same bytes as the lab. Run by bench/console-query.ts:
 *
 *   DATABASE_URL=... PORT=... HOST=127.0.0.1 node --import tsx bench/console-query/bare-server.ts
 *
 * Statements per request: the key, then the experiments page and their count, then the run
 * counts and the runs pages (the latest run is the first row of its page: same order, no
 * filter), then the latest runs' models and prompt versions, then those versions' prompts.
 * Tagged templates are prepared statements, so each is parsed once per pooled connection.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import postgres from 'postgres';

const env = process.env;
const sql = postgres(env.DATABASE_URL!, { max: Number(env.DATABASE_POOL_SIZE ?? 10), onnotice: () => {} });

/** The lab writes an API key's last_used_at at most once a minute (AuthService.authenticate). */
const LAST_USED_RESOLUTION_MS = 60_000;
/** The page query asks each experiment for `runs(first: 2)`. */
const RUNS_FIRST = 2;
const MAX_BODY_BYTES = 1024 * 1024;

const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64url');
const unique = (ids: string[]) => [...new Set(ids)];

/** The caller's project id, or null when the key is missing, unknown or revoked. */
async function authenticate(authorization: string | undefined): Promise<string | null> {
  const match = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization.trim()) : null;
  if (!match) return null;
  const keyHash = createHash('sha256').update(match[1]!).digest('hex');
  const [key] = await sql<{ id: string; project_id: string; revoked_at: Date | null; last_used_at: Date | null }[]>`
    select id, project_id, revoked_at, last_used_at from api_keys where key_hash = ${keyHash}`;
  if (!key || key.revoked_at) return null;
  const now = new Date();
  if (!key.last_used_at || now.getTime() - key.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
    await sql`update api_keys set last_used_at = ${now} where id = ${key.id}`;
  }
  return key.project_id;
}

interface RunRow {
  id: string;
  experiment_id: string;
  status: string;
  model_ids: string[];
  prompt_version_ids: string[];
}

/** The `data` of ExperimentsWithRuns, its fields in the query's order, lists ordered like the lab's. */
async function experimentsWithRuns(projectId: string, first: number) {
  const [page, [total]] = await Promise.all([
    // first + 1 rows, as every connection page of the lab fetches.
    sql<{ id: string; name: string }[]>`
      select id, name from experiments where project_id = ${projectId} and archived_at is null
      order by created_at desc, id desc limit ${first + 1}`,
    sql<{ count: number }[]>`select count(*)::int as count from experiments where project_id = ${projectId} and archived_at is null`,
  ]);
  const experiments = page.slice(0, first);
  const experimentIds = experiments.map((e) => e.id);

  const [counts, runs] = experimentIds.length
    ? await Promise.all([
        sql<{ experiment_id: string; count: number }[]>`
          select experiment_id, count(*)::int as count from runs
          where project_id = ${projectId} and experiment_id = any(${experimentIds}::uuid[]) group by experiment_id`,
        sql<RunRow[]>`
          select r.id, r.experiment_id, r.status, r.model_ids, r.prompt_version_ids
          from unnest(${experimentIds}::uuid[]) with ordinality as e(id, position)
          cross join lateral (
            select id, experiment_id, status, model_ids, prompt_version_ids, created_at from runs
            where project_id = ${projectId} and experiment_id = e.id
            order by created_at desc, id desc limit ${RUNS_FIRST + 1}
          ) r
          order by e.position, r.created_at desc, r.id desc`,
      ])
    : [[], []];
  const runCount = new Map(counts.map((c) => [c.experiment_id, c.count]));
  const runsOf = new Map<string, RunRow[]>();
  for (const run of runs) {
    const page = runsOf.get(run.experiment_id);
    if (page) page.push(run);
    else runsOf.set(run.experiment_id, [run]);
  }
  const latestRuns = experimentIds.flatMap((id) => runsOf.get(id)?.slice(0, 1) ?? []);

  const modelIds = unique(latestRuns.flatMap((r) => r.model_ids));
  const versionIds = unique(latestRuns.flatMap((r) => r.prompt_version_ids));
  const [models, versions] = await Promise.all([
    modelIds.length ? sql<{ id: string; name: string }[]>`select id, name from models where project_id = ${projectId} and id = any(${modelIds}::uuid[])` : [],
    versionIds.length
      ? sql<{ id: string; version: number; prompt_id: string; prompt_name: string }[]>`
          select v.id, v.version, v.prompt_id, p.name as prompt_name
          from prompt_versions v join prompts p on p.id = v.prompt_id and p.project_id = v.project_id
          where v.project_id = ${projectId} and v.id = any(${versionIds}::uuid[])`
      : [],
  ]);
  const prompts = versions.map((v) => ({ id: v.prompt_id, name: v.prompt_name }));

  const byId = <T extends { id: string }>(rows: readonly T[]) => new Map(rows.map((row) => [row.id, row]));
  const [modelById, versionById, promptById] = [byId(models), byId(versions), byId(prompts)];
  // A run naming a row that is not in the project is an error in the lab too (NOT_FOUND).
  const found = <T>(row: T | undefined, what: string): T => {
    if (row === undefined) throw new Error(`${what} not found`);
    return row;
  };

  return {
    experiments: {
      totalCount: total!.count,
      nodes: experiments.map((experiment) => {
        const id = globalId('Experiment', experiment.id);
        const count = runCount.get(experiment.id) ?? 0;
        const runPage = runsOf.get(experiment.id) ?? [];
        const latest = runPage[0];
        return {
          id,
          name: experiment.name,
          runCount: count,
          latestRun: latest
            ? {
                id: globalId('Run', latest.id),
                status: latest.status,
                experiment: { id },
                models: latest.model_ids.map((modelId) => {
                  const model = found(modelById.get(modelId), `model ${modelId}`);
                  return { id: globalId('Model', model.id), name: model.name };
                }),
                promptVersions: latest.prompt_version_ids.map((versionId) => {
                  const version = found(versionById.get(versionId), `prompt version ${versionId}`);
                  const prompt = found(promptById.get(version.prompt_id), `prompt ${version.prompt_id}`);
                  return { id: globalId('PromptVersion', version.id), version: version.version, prompt: { id: globalId('Prompt', prompt.id), name: prompt.name } };
                }),
              }
            : null,
          runs: {
            totalCount: count,
            nodes: runPage.slice(0, RUNS_FIRST).map((run) => ({ id: globalId('Run', run.id), status: run.status })),
            pageInfo: { hasNextPage: runPage.length > RUNS_FIRST },
          },
        };
      }),
    },
  };
}

function send(res: ServerResponse, status: number, value: unknown): void {
  // Apollo Server ends its JSON with a newline.
  const body = `${JSON.stringify(value)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const error = (message: string, code: string) => ({ errors: [{ message, extensions: { code } }] });

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET' && req.url === '/healthz') return send(res, 200, { status: 'ok' });
  if (req.method !== 'POST' || req.url !== '/graphql') return send(res, 404, error('Only POST /graphql is served here.', 'NOT_FOUND'));
  const text = await readBody(req);
  if (text === null) return send(res, 413, error('The body is larger than 1 MiB.', 'BAD_USER_INPUT'));
  let first: unknown;
  try {
    first = (JSON.parse(text) as { variables?: { first?: unknown } }).variables?.first ?? 20;
  } catch {
    return send(res, 400, error('The body is not JSON.', 'BAD_USER_INPUT'));
  }
  if (typeof first !== 'number' || !Number.isInteger(first) || first < 1 || first > 100) {
    return send(res, 400, error('first: must be between 1 and 100.', 'BAD_USER_INPUT'));
  }
  const projectId = await authenticate(req.headers.authorization);
  if (!projectId) return send(res, 401, error('This API key is not valid.', 'UNAUTHENTICATED'));
  send(res, 200, { data: await experimentsWithRuns(projectId, first) });
}

const server = createServer((req, res) => {
  handle(req, res).catch((err: unknown) => {
    console.error(err);
    if (!res.headersSent) send(res, 500, error('Internal error.', 'INTERNAL_SERVER_ERROR'));
  });
});
server.listen(Number(env.PORT ?? 4100), env.HOST ?? '127.0.0.1');

process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void sql.end({ timeout: 5 }).then(() => process.exit(0));
});
