// Generated operations against the real schema over HTTP and WebSocket: whatever a client sends, the
// answer is JSON with a code from the closed set, never a 500, a stack trace or a path of the server.
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import {
  buildSchema,
  getNamedType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/common/errors.js';
import { useTestLab, wsClient } from '../helpers/lab.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const MAX_OPERATIONS = Number(process.env.FUZZ_OPERATIONS ?? 10_000);
// A bound, not the goal: every one of the operations must be sent (about 35 s here); a machine too
// slow to send them within the bound fails, naming how far it got.
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 90_000);
// Enough operations in flight that subscriptions left open for 200 ms do not idle the server.
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 16);

const t = useTestLab('ADMIN');
const schema: GraphQLSchema = buildSchema(readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8'));

/** mulberry32: a small seeded PRNG, so a failing seed reproduces (FUZZ_SEED). */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
  const rng = {
    clean: false,
    /** In a clean operation, one hostile value (a NUL, a huge or negative number, a forged cursor) to place somewhere. */
    poison: false,
    /** Whether to place the hostile value here (once). */
    poisonHere: (): boolean => {
      if (!rng.poison || next() < 0.5) return false;
      rng.poison = false;
      return true;
    },
    next,
    int: (n: number) => Math.floor(next() * n),
    chance: (p: number) => next() < p,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    bad: (p: number) => !rng.clean && next() < p,
  };
  return rng;
}
type Rng = ReturnType<typeof prng> & {
  /** A deliberate mistake: never in a clean operation, so a share of operations get past validation and run. */
  bad: (p: number) => boolean;
};

/** An enum value, written bare in a literal and as its name in variables. */
class EnumValue {
  constructor(readonly name: string) {}
}

const NODE_TYPES = ['Experiment', 'Run', 'Dataset', 'DatasetVersion', 'Prompt', 'PromptVersion', 'Model', 'Task', 'Project', 'ApiKey', 'Nope'];
const b64 = (text: string) => Buffer.from(text).toString('base64url');

function randomString(rng: Rng, known: string[]): string {
  if (rng.clean && !rng.poisonHere()) return rng.chance(0.6) && known.length ? rng.pick(known) : rng.pick(['fuzz', 'a', 'temperature', 'accuracy', 'x y z']);
  switch (rng.int(14)) {
    case 0:
      return `a\u0000b`;
    case 1:
      return 'x'.repeat(rng.pick([0, 1, 200, 201, 10_001, 70_000]));
    case 2:
      return '\ud800 lone surrogate \udfff';
    case 3:
      return "'; drop table experiments; --";
    case 4:
      return b64(JSON.stringify([rng.pick(['2024-01-01T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', '-000001-01-01T00:00:00.000Z', 'nope', 5, null]), rng.pick([randomUUID(), 'x', 7])]));
    case 5:
      return b64(JSON.stringify([rng.pick([1, -1, 2 ** 40, 1.5, '1'])]));
    case 6:
      return rng.pick(['', ' ', '%ff', '../../etc/passwd', '{{x}}', '{{#a}}{{/a}}', '\u202e', '😀'.repeat(50)]);
    case 7:
      return known.length ? rng.pick(known) : 'none';
    case 8:
      return b64(`${rng.pick(NODE_TYPES)}:${rng.chance(0.8) ? randomUUID() : 'not-a-uuid'}`);
    case 9:
      return randomUUID();
    default:
      return Array.from({ length: rng.int(12) }, () => String.fromCharCode(32 + rng.int(95))).join('');
  }
}

function randomNumber(rng: Rng, integer: boolean): number {
  if (rng.clean && !rng.poisonHere()) return 1 + rng.int(20);
  const n = rng.pick([0, 1, -1, 2, 5, 20, 100, 101, 1000, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), Number.MAX_SAFE_INTEGER, 1e300, -1e300, 0.5, -0.0]);
  return integer && rng.chance(0.9) ? Math.trunc(n) : n;
}

function randomJson(rng: Rng, depth: number): unknown {
  if (depth > 0 && rng.chance(0.8)) {
    if (rng.chance(0.5)) return [randomJson(rng, depth - 1)];
    return { [rng.pick(['temperature', 'maxTokens', 'stop', 'seed', 'a', 'k\u0000'])]: randomJson(rng, depth - 1) };
  }
  return rng.pick<unknown>([null, true, 1.5, -3, 'text', 'nul\u0000', 2 ** 53, []]);
}

/** A value for an input type: mostly well-typed, sometimes not (null for non-null, wrong kinds, unknown fields, deep lists). */
function randomValue(rng: Rng, type: GraphQLInputType, known: string[], depth = 0, idType?: string): unknown {
  if (rng.bad(0.03)) return rng.pick<unknown>([null, 'wrong', 42, true, { x: 1 }, [1, [2]]]);
  if (isNonNullType(type)) return randomValue(rng, type.ofType, known, depth, idType);
  if (isListType(type)) {
    if (rng.bad(0.03)) {
      let deep: unknown = 'x';
      for (let i = rng.int(200); i > 0; i--) deep = [deep];
      return deep;
    }
    return Array.from({ length: rng.int(4) }, () => randomValue(rng, type.ofType, known, depth + 1, idType));
  }
  if (isEnumType(type)) return new EnumValue(rng.bad(0.1) ? 'BOGUS' : rng.pick(type.getValues()).name);
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      if ((isNonNullType(field.type) && !rng.bad(0.05)) || rng.chance(rng.clean ? 0.2 : 0.4)) value[field.name] = randomValue(rng, field.type, known, depth + 1, idTypeOf(field.name));
    }
    if (rng.bad(0.03)) value.unknownField = 1;
    return value;
  }
  switch (type.name) {
    case 'Int':
      return randomNumber(rng, true);
    case 'Float':
      return randomNumber(rng, false);
    case 'Boolean':
      return rng.chance(0.5);
    case 'JSON':
      return randomJson(rng, rng.bad(0.05) || rng.poisonHere() ? 100 : rng.int(6));
    case 'ID':
      // A well-formed ID of the type the argument names: the resolver runs and answers NOT_FOUND or the object.
      if (rng.clean && idType && !rng.poisonHere()) return rng.chance(0.3) && known.length ? rng.pick(known) : b64(`${idType}:${randomUUID()}`);
      return randomString(rng, known);
    case 'DateTime':
      return rng.clean ? '2024-01-01T00:00:00Z' : rng.pick(['2024-01-01T00:00:00Z', 'yesterday', '+275760-09-13T00:00:00.000Z', '', '1970-01-01']);
    default:
      return randomString(rng, known);
  }
}

/** The value as GraphQL literal text. */
function literal(value: unknown): string {
  if (value instanceof EnumValue) return value.name;
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .filter(([k]) => /^[_A-Za-z][_0-9A-Za-z]*$/.test(k))
      .map(([k, v]) => `${k}: ${literal(v)}`)
      .join(', ')}}`;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '0';
  return JSON.stringify(value) ?? 'null';
}

/** The value as a JSON variable (enums by name). */
function variable(value: unknown): unknown {
  if (value instanceof EnumValue) return value.name;
  if (Array.isArray(value)) return value.map(variable);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, variable(v)]));
  return value;
}

/** The node type an ID argument names: runId -> Run, experiment(id:) -> Experiment. */
function idTypeOf(argument: string, field = ''): string | undefined {
  const base = argument.endsWith('Id') ? argument.slice(0, -2) : argument === 'id' ? field : '';
  return base ? base[0]!.toUpperCase() + base.slice(1) : undefined;
}

interface Operation {
  query: string;
  variables: Record<string, unknown>;
  subscription: boolean;
}

function generate(rng: Rng, known: string[]): Operation {
  rng.clean = rng.chance(0.6);
  rng.poison = rng.clean && rng.chance(0.5);
  const variables: Record<string, unknown> = {};
  const definitions: string[] = [];
  const args = (field: GraphQLField<unknown, unknown>): string => {
    const chosen = field.args.filter((a: GraphQLArgument) => (isNonNullType(a.type) && !rng.bad(0.03)) || rng.chance(rng.clean ? 0.2 : 0.5));
    if (rng.bad(0.02)) return '(bogus: 1)';
    if (chosen.length === 0) return '';
    return `(${chosen
      .map((a) => {
        const value = randomValue(rng, a.type, known, 0, idTypeOf(a.name, field.name));
        if (rng.chance(0.5)) {
          const name = `v${definitions.length}`;
          definitions.push(`$${name}: ${rng.bad(0.03) ? 'String' : String(a.type)}`);
          variables[name] = variable(value);
          return `${a.name}: $${name}`;
        }
        return `${a.name}: ${literal(value)}`;
      })
      .join(', ')})`;
  };
  const selection = (type: GraphQLNamedType, depth: number): string => {
    if (isLeafType(type)) return rng.bad(0.02) ? ' { id }' : '';
    if (rng.bad(0.01)) return '';
    if (isUnionType(type) || isInterfaceType(type)) {
      const possible = schema.getPossibleTypes(type);
      const fragment = rng.chance(0.7) && possible.length ? ` ... on ${rng.pick(possible).name}${selection(rng.pick(possible), depth)}` : '';
      return ` { __typename${fragment} }`;
    }
    const fields = Object.values((type as GraphQLObjectType).getFields());
    // Clean operations stay small and shallow, so most run to the resolvers.
    const count = type === schema.getSubscriptionType() && !rng.bad(0.1) ? 1 : 1 + rng.int(depth > 3 || rng.clean ? 2 : 4);
    const parts: string[] = [];
    const chosen = new Set<string>();
    for (let i = 0; i < count; i++) {
      if (rng.bad(0.02)) {
        parts.push(rng.pick(['nope', 'idd', '__schema { types { name } }', '__typename']));
        continue;
      }
      const field = rng.pick(fields);
      const named = getNamedType(field.type);
      // Mostly shallow; now and then deep enough for the depth limit.
      if (isCompositeType(named) && depth > (rng.bad(0.05) ? 16 : rng.clean ? 2 : 4)) continue;
      // The same field twice with other arguments conflicts unless aliased.
      const alias = rng.chance(0.1) || (chosen.has(field.name) && !rng.bad(0.3)) ? `a${i}_${depth}: ` : '';
      chosen.add(field.name);
      parts.push(`${alias}${field.name}${args(field)}${selection(named, depth + 1)}`);
    }
    if (parts.length === 0) parts.push('__typename');
    return ` { ${parts.join(' ')} }`;
  };
  const kind = rng.pick(['query', 'query', 'query', 'mutation', 'subscription'] as const);

  const root = kind === 'query' ? schema.getQueryType()! : kind === 'mutation' ? schema.getMutationType()! : schema.getSubscriptionType()!;
  let body = selection(root, 0);
  if (rng.bad(0.01)) body = ` { ${Array.from({ length: 40 }, (_, i) => `x${i}: viewer { role }`).join(' ')} }`;
  if (rng.bad(0.01)) body = ` { viewer { ...F } } fragment F on Viewer { role ...G } fragment G on Viewer { ...F }`;
  const header = definitions.length ? `(${definitions.join(', ')})` : '';
  let query = `${kind} Fuzz${header}${body}`;
  if (rng.bad(0.02)) query = query.slice(0, rng.int(query.length)); // cut short: a syntax error
  return { query, variables, subscription: kind === 'subscription' };
}

interface ErrorShape {
  message?: unknown;
  extensions?: { code?: unknown };
}

const CODES = new Set<unknown>(Object.values(ErrorCode));
const LEAKS = /\n\s+at |\bat [\w.<>]+ \(|node_modules|\/work\/|\/home\/|\.ts:\d+|\.js:\d+|<html/i;

describe('fuzz', () => {
  it(`answers generated operations (seed ${SEED}) with codes, never a 500 or a stack trace`, { timeout: BUDGET_MS + 60_000 }, async () => {
    const rng = prng(SEED);
    const known: string[] = [];
    const seedOps = [
      'mutation { createExperiment(input: { name: "fuzz", tags: ["a"] }) { id } }',
      'mutation { createDataset(input: { name: "fuzz" }) { id } }',
      'mutation { createModel(input: { name: "fuzz", modelName: "echo", provider: ECHO }) { id } }',
    ];
    for (const query of seedOps) {
      const res = await fetch(t.lab.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.project.key}` }, body: JSON.stringify({ query }) });
      const json = (await res.json()) as { data?: Record<string, { id: string }> };
      for (const value of Object.values(json.data ?? {})) known.push(value.id);
    }
    const rssBefore = process.memoryUsage().rss;
    const byCode = new Map<string, number>();
    const messages = new Map<string, number>();
    const failures: string[] = [];
    const note = (code: string) => byCode.set(code, (byCode.get(code) ?? 0) + 1);
    const check = (op: string, text: string, errors: readonly ErrorShape[] | undefined, status?: number) => {
      if (status !== undefined && status >= 500) failures.push(`HTTP ${status} for ${op}: ${text.slice(0, 300)}`);
      if (LEAKS.test(text)) failures.push(`leak for ${op}: ${text.slice(0, 300)}`);
      if (!errors?.length) return note('ok');
      for (const error of errors) {
        const code = error.extensions?.code;
        if (!CODES.has(code)) failures.push(`error without a code from the closed set for ${op}: ${JSON.stringify(error).slice(0, 300)}`);
        if (code === 'INTERNAL_SERVER_ERROR') failures.push(`INTERNAL_SERVER_ERROR for ${op}: ${JSON.stringify(error).slice(0, 300)}`);
      }
      note(String(errors[0]!.extensions?.code));
      const kind = String(errors[0]!.message).replace(/"[^"]*"/g, '"…"').replace(/\d+/g, 'N').slice(0, 80);
      messages.set(kind, (messages.get(kind) ?? 0) + 1);
    };

    const malformed = (): [string, RequestInit] => {
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${t.project.key}` };
      switch (rng.int(6)) {
        case 0:
          return ['/graphql', { method: 'POST', headers, body: '{"query": "{ viewer { role } }"' }];
        case 1:
          return ['/graphql', { method: 'POST', headers: { ...headers, 'content-type': 'text/plain' }, body: '{ viewer { role } }' }];
        case 2:
          return [`/blobs/${rng.pick(['%ff%fe', '%', 'a/%zz', 'x'])}`, { method: rng.pick(['GET', 'PUT']) }];
        case 3:
          return [rng.pick(['/nope', '/graphql/x', '/healthz/x']), { method: rng.pick(['GET', 'POST', 'DELETE']) }];
        case 4:
          return ['/graphql', { method: 'POST', headers, body: JSON.stringify(rng.pick<unknown>([[], 'q', { query: 1 }, { query: '{ viewer { role } }', variables: [] }, {}])) }];
        default:
          return ['/graphql', { method: 'GET', headers: { authorization: `Bearer ${t.project.key}` } }];
      }
    };

    const sockets = [wsClient(t.lab.wsUrl, t.project.key), wsClient(t.lab.wsUrl, t.project.key)];
    const overWs = async (op: Operation) => {
      const iterator = rng.pick(sockets).iterate({ query: op.query, variables: op.variables })[Symbol.asyncIterator]();
      let timer: NodeJS.Timeout | undefined;
      try {
        const first = await Promise.race([
          iterator.next().then(
            (r) => ({ result: r.value as { errors?: ErrorShape[] } | undefined }),
            (errors: unknown) => ({ errors }),
          ),
          new Promise<'open'>((resolve) => (timer = setTimeout(() => resolve('open'), 200))),
        ]);
        if (first === 'open') return note('ws-subscription-open');
        if ('errors' in first) {
          const errors = Array.isArray(first.errors) ? (first.errors as ErrorShape[]) : [{ message: String(first.errors) }];
          return check(`ws ${op.query} ${JSON.stringify(op.variables).slice(0, 200)}`, JSON.stringify(errors), errors);
        }
        check(`ws ${op.query}`, JSON.stringify(first.result ?? {}), first.result?.errors);
      } finally {
        clearTimeout(timer);
        await iterator.return?.();
      }
    };
    const overHttp = async (op: Operation) => {
      const res = await fetch(t.lab.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${t.project.key}` },
        body: JSON.stringify({ query: op.query, variables: op.variables }),
      });
      const text = await res.text();
      let body: { errors?: ErrorShape[] } = {};
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        failures.push(`not JSON (HTTP ${res.status}) for ${op.query}: ${text.slice(0, 200)}`);
      }
      check(`http ${op.query} ${JSON.stringify(op.variables).slice(0, 200)}`, text, body.errors, res.status);
    };

    let sent = 0;
    const deadline = Date.now() + BUDGET_MS;
    const worker = async () => {
      while (sent < MAX_OPERATIONS && Date.now() < deadline && failures.length < 20) {
        sent++;
        if (rng.chance(0.03)) {
          const [path, init] = malformed();
          const res = await fetch(`${t.lab.url}${path}`, init);
          const text = await res.text();
          let errors: ErrorShape[] | undefined;
          try {
            errors = (JSON.parse(text) as { errors?: ErrorShape[] }).errors;
          } catch {
            failures.push(`not JSON (HTTP ${res.status}) for ${init.method} ${path}: ${text.slice(0, 200)}`);
          }
          if (!errors?.length) failures.push(`no error for malformed ${init.method} ${path} (HTTP ${res.status})`);
          check(`${init.method} ${path}`, text, errors, res.status);
          continue;
        }
        const op = generate(rng, known);
        await (op.subscription || rng.chance(0.25) ? overWs(op) : overHttp(op));
      }
    };
    try {
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    } finally {
      await Promise.all(sockets.map((s) => s.dispose()));
    }

    const counts = Object.fromEntries([...byCode].sort((a, b) => b[1] - a[1]));
    const commonest = [...messages].sort((a, b) => b[1] - a[1]).slice(0, 8);
    console.info(`fuzz: seed ${SEED}, ${sent} operations in ${Math.round((BUDGET_MS - (deadline - Date.now())) / 1000)} s, by code ${JSON.stringify(counts)}; commonest errors ${JSON.stringify(commonest)}`);
    expect(failures, `seed ${SEED}, counts ${JSON.stringify(counts)}`).toEqual([]);
    expect(sent, `only ${sent} of ${MAX_OPERATIONS} operations were sent within ${BUDGET_MS} ms`).toBe(MAX_OPERATIONS);
    const health = await fetch(`${t.lab.url}/healthz`);
    expect(health.status).toBe(200);
    const rssAfter = process.memoryUsage().rss;
    expect(rssAfter - rssBefore, `RSS ${Math.round(rssBefore / 2 ** 20)} MiB -> ${Math.round(rssAfter / 2 ** 20)} MiB`).toBeLessThan(512 * 2 ** 20);
  });
});
