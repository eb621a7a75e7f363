import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLabServer, type LabServer } from '../../src/server/app.js';
import { LIMITS, refusalCounts } from '../../src/server/security.js';
import WebSocket from 'ws';
import { useTestLab, wsClient } from '../helpers/lab.js';

const t = useTestLab('ADMIN');

interface ErrorSeen {
  message: string;
  locations?: { line: number; column: number }[];
  extensions: { code: string; requestId?: string; [key: string]: unknown };
}
interface Answer {
  data?: unknown;
  errors?: ErrorSeen[];
}

async function post(query: string, variables: Record<string, unknown> = {}, url = t.lab.graphqlUrl): Promise<{ status: number; body: Answer; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${t.project.key}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Answer, text };
}

/** The errors of one operation over WebSocket (none when it succeeded). */
async function overWs(query: string, variables: Record<string, unknown> = {}, url = t.lab.wsUrl): Promise<ErrorSeen[]> {
  const client = wsClient(url, t.project.key);
  try {
    return await client
      .iterate({ query, variables })
      .next()
      .then(
        (result) => ((result.value as Answer | undefined)?.errors ?? []) as ErrorSeen[],
        (errors: ErrorSeen[]) => errors,
      );
  } finally {
    await client.dispose();
  }
}

/** A body that must be a JSON error with a code, a request id, and nothing of the process's insides. */
function expectJsonError(text: string, code: string): ErrorSeen {
  const body = JSON.parse(text) as Answer;
  expect(body.errors?.[0]?.extensions.code).toBe(code);
  expect(body.errors?.[0]?.extensions.requestId).toEqual(expect.any(String));
  expect(text).not.toMatch(/\bat \S+ \(|node_modules|\/work\/|<html|<pre/i);
  return body.errors![0]!;
}

function nested(levels: number, name = ''): string {
  let selection = 'id';
  for (let i = 0; i < levels; i++) selection = i % 2 === 0 ? `prompt { ${selection} }` : `latestVersion { ${selection} }`;
  return `query ${name} { prompts(first: 1) { nodes { ${selection} } } }`;
}

describe('A. requests that are not GraphQL get JSON errors with a code', () => {
  it('malformed JSON is 400 BAD_REQUEST, and the body is not printed', async () => {
    const stderr = vi.spyOn(process.stderr, 'write');
    try {
      const res = await fetch(t.lab.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${t.project.key}`, 'x-request-id': 'bad-json-1' },
        body: '{"query": "{ viewer { role } }", secret-body-marker',
      });
      const text = await res.text();
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/json');
      const error = expectJsonError(text, 'BAD_REQUEST');
      expect(error.extensions.requestId).toBe('bad-json-1');
      expect(text).not.toContain('secret-body-marker');
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).not.toContain('secret-body-marker');
    } finally {
      stderr.mockRestore();
    }
  });

  it('a body over 1 MB is 413 BAD_REQUEST', async () => {
    const res = await fetch(t.lab.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.project.key}` },
      body: JSON.stringify({ query: `{ viewer { role } } # ${'x'.repeat(1024 * 1024 + 10)}` }),
    });
    expect(res.status).toBe(413);
    expectJsonError(await res.text(), 'BAD_REQUEST');
  });

  it('bad percent encoding in a blob URL is 400 BAD_REQUEST', async () => {
    const res = await fetch(`${t.lab.url}/blobs/%ff%fe`);
    expect(res.status).toBe(400);
    expectJsonError(await res.text(), 'BAD_REQUEST');
  });

  it('an unknown route is 404 NOT_FOUND', async () => {
    for (const [method, path] of [['GET', '/nope'], ['POST', '/graphql/extra'], ['DELETE', '/healthz']] as const) {
      const res = await fetch(`${t.lab.url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expectJsonError(await res.text(), 'NOT_FOUND');
    }
  });

  it('a JSON body that is not a GraphQL request is 400 BAD_REQUEST in JSON', async () => {
    for (const body of ['[]', '"text"', '{"query": 5}', '{}']) {
      const res = await fetch(t.lab.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.project.key}` }, body });
      expect(res.status, body).toBe(400);
      expectJsonError(await res.text(), 'BAD_REQUEST');
    }
  });
});

describe('B. client input is never a 500', () => {
  it('a cost refusal is HTTP 400', async () => {
    const query = 'query($n: Int) { datasets(first: $n) { nodes { versions(first: $n) { nodes { preview(limit: 100) { index } } } } } }';
    const { status, body } = await post(query, { n: 100 });
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('a fragment cycle is refused as a validation error, over HTTP and WebSocket', async () => {
    const query = 'query { viewer { ...A } } fragment A on Viewer { role ...B } fragment B on Viewer { subject ...A }';
    const { status, body } = await post(query);
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors?.map((e) => e.message).join(' ')).toContain('Cannot spread fragment');
    const errors = await overWs(query);
    expect(errors[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(errors.map((e) => e.message).join(' ')).toContain('Cannot spread fragment');
  });

  it('fragments spread over and over are refused quickly, not expanded (depth and cost alike)', async () => {
    let query = 'query Diamond { viewer { ...F0 } }';
    for (let i = 0; i < 40; i++) query += ` fragment F${i} on Viewer { role ...F${i + 1} subject ...F${i + 1} }`;
    query += ' fragment F40 on Viewer { role }';
    const started = Date.now();
    const { status, body } = await post(query);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.message).toContain('estimated cost');
  });

  it('a NUL byte in a string argument or variable is BAD_USER_INPUT naming the argument', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['query { experiments(search: "a\\u0000b") { nodes { id } } }', {}, 'search'],
      ['query($s: String) { experiments(search: $s) { nodes { id } } }', { s: 'a\u0000b' }, 's'],
      ['query($t: [String!]) { experiments(tags: $t) { nodes { id } } }', { t: ['ok', 'x\u0000'] }, 't'],
      ['mutation { createExperiment(input: { name: "n\\u0000" }) { id } }', {}, 'name'],
    ];
    for (const [query, variables, name] of cases) {
      const { status, body } = await post(query, variables);
      expect(body.errors?.[0]?.extensions.code, query).toBe('BAD_USER_INPUT');
      expect(body.errors?.[0]?.message, query).toContain(name);
      expect(status, query).toBe(400);
      const errors = await overWs(query, variables);
      expect(errors[0]?.extensions.code, query).toBe('BAD_USER_INPUT');
    }
  });

  it('a cursor with an out-of-range date is BAD_USER_INPUT', async () => {
    for (const date of ['+275760-09-13T00:00:00.000Z', '-000001-01-01T00:00:00.000Z', '99999', '2024-13-45']) {
      const after = Buffer.from(JSON.stringify([date, '00000000-0000-4000-8000-000000000000'])).toString('base64url');
      const { body } = await post('query($a: String) { experiments(after: $a) { nodes { id } } }', { a: after });
      expect(body.errors?.[0]?.extensions.code, date).toBe('BAD_USER_INPUT');
    }
  });

  it('a JSON variable nested deeper than the limit is BAD_USER_INPUT, over HTTP and WebSocket', async () => {
    // Written as text: JSON.stringify of a value this deep overflows the test's own stack.
    const parameters = '{"a":['.repeat(2500) + '1' + ']}'.repeat(2500);
    const query = 'mutation($p: JSON) { createModel(input: { name: "m", modelName: "x", provider: ECHO, parameters: $p }) { id } }';
    const res = await fetch(t.lab.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.project.key}` },
      body: `{"query":${JSON.stringify(query)},"variables":{"p":${parameters}}}`,
    });
    const body = (await res.json()) as Answer;
    expect(body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.message).toContain('$p');
    expect(res.status).toBe(400);
    const socket = new WebSocket(t.lab.wsUrl, 'graphql-transport-ws');
    try {
      const answer = new Promise<{ type: string; payload: ErrorSeen[] }>((resolve) => {
        socket.on('message', (data) => {
          const message = JSON.parse(String(data)) as { type: string; payload: ErrorSeen[] };
          if (message.type === 'connection_ack') {
            socket.send(`{"id":"1","type":"subscribe","payload":{"query":${JSON.stringify(query)},"variables":{"p":${parameters}}}}`);
          } else if (message.type === 'error' || message.type === 'next') resolve(message);
        });
      });
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${t.project.key}` } })));
      const message = await answer;
      expect(message.type).toBe('error');
      expect(message.payload[0]?.extensions.code).toBe('BAD_USER_INPUT');
    } finally {
      socket.close();
    }
  });

  it('the depth refusal names the operation, or says "this operation"', async () => {
    const anonymous = await post(nested(LIMITS.depth));
    expect(anonymous.body.errors?.[0]?.message).not.toContain("''");
    expect(anonymous.body.errors?.[0]?.message).toMatch(/this operation/i);
    const named = await post(nested(LIMITS.depth, 'DeepPrompts'));
    expect(named.body.errors?.[0]?.message).toContain('DeepPrompts');
  });

  it('an operation of too many tokens is refused before it is parsed, over HTTP and WebSocket', async () => {
    const query = `query { viewer { ${Array.from({ length: LIMITS.tokens }, () => 'role').join(' ')} } }`;
    const { status, body } = await post(query);
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.message).toContain('tokens');
    const errors = await overWs(query);
    expect(errors[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(errors[0]?.message).toContain('tokens');
  });

  it('counts each refusal by the limit that refused it', async () => {
    const before = { ...refusalCounts() };
    await post(nested(LIMITS.depth));
    await post(`query { ${Array.from({ length: LIMITS.aliases + 1 }, (_, i) => `a${i}: viewer { role }`).join(' ')} }`);
    const after = refusalCounts();
    expect(after.depth).toBe((before.depth ?? 0) + 1);
    expect(after.aliases).toBe((before.aliases ?? 0) + 1);
  });
});

describe('C. WebSocket errors carry a request id and locations', () => {
  it('each operation has its own id, on every error', async () => {
    const first = await overWs('query { viewer { rol } }');
    const second = await overWs('query { viewer { rol } }');
    expect(first[0]?.extensions.requestId).toMatch(/^[\w-]{8,}$/);
    expect(second[0]?.extensions.requestId).toMatch(/^[\w-]{8,}$/);
    expect(first[0]?.extensions.requestId).not.toBe(second[0]?.extensions.requestId);
    expect(first[0]?.locations).toEqual([{ line: 1, column: 18 }]);
  });
});

describe('D. production hides schema suggestions', () => {
  let production: LabServer;
  let url = '';
  beforeAll(async () => {
    production = await createLabServer(t.lab.core, { production: true });
    url = await production.listen(0, '127.0.0.1');
  });
  afterAll(() => production?.stop());

  it('answers no "Did you mean" over HTTP or WebSocket', async () => {
    const query = 'mutation { createApiKe(name: "x") { id } }';
    expect((await post(query)).text).toContain('Did you mean');
    const http = await post(query, {}, `${url}/graphql`);
    expect(http.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(http.text).not.toContain('Did you mean');
    const ws = await overWs(query, {}, `${url.replace(/^http/, 'ws')}/graphql`);
    expect(ws[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(ws)).not.toContain('Did you mean');
  });
});
