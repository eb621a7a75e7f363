import { describe, expect, it } from 'vitest';
import { useTestLab } from '../helpers/lab.js';

const t = useTestLab('VIEWER');

interface GraphQLResponse {
  errors: { message: string; extensions: { code: string } }[];
}

const json = async (res: Response) => (await res.json()) as GraphQLResponse;

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(t.lab.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${t.project.key}`, ...headers },
    body: JSON.stringify(body),
  });

describe('HTTP endpoints', () => {
  it('answers /healthz and /readyz (PostgreSQL reachable)', async () => {
    expect(await (await fetch(`${t.lab.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${t.lab.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', postgres: true });
  });

  it('returns a request id, echoing a well-formed X-Request-Id', async () => {
    const res = await post({ query: '{ viewer { role } }' }, { 'x-request-id': 'trace-123' });
    expect(res.headers.get('x-request-id')).toBe('trace-123');
    const generated = await post({ query: '{ viewer { role } }' }, { 'x-request-id': 'bad id with spaces' });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports malformed queries and unknown fields as BAD_USER_INPUT', async () => {
    const parse = await json(await post({ query: '{ viewer { ' }));
    expect(parse.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const unknown = await json(await post({ query: '{ viewer { nope } }' }));
    expect(unknown.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(unknown.errors[0].message).toContain('nope');
    const badVariable = await json(await post({ query: 'query($n: Int) { experiments(first: $n) { totalCount } }', variables: { n: 'ten' } }));
    expect(badVariable.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('refuses batched requests and cross-site simple requests', async () => {
    const batched = await post([{ query: '{ viewer { role } }' }, { query: '{ viewer { role } }' }]);
    expect(batched.status).toBe(400);
    const csrf = await fetch(`${t.lab.graphqlUrl}?query=${encodeURIComponent('{ viewer { role } }')}`, {
      headers: { authorization: `Bearer ${t.project.key}` },
    });
    expect(csrf.status).toBe(400);
    expect(await csrf.text()).toContain('CSRF');
  });
});

describe('POST /graphql straight into Apollo (src/server/graphql-http.ts)', () => {
  /** The same request through the direct path and through Express (a query string sends it there), with one request id. */
  async function bothPaths(body: string, contentType = 'application/json') {
    const send = (url: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${t.project.key}`, 'x-request-id': 'parity-1' }, body });
    const [direct, viaExpress] = await Promise.all([send(t.lab.graphqlUrl), send(`${t.lab.graphqlUrl}?via=express`)]);
    const answer = async (res: Response) => ({ status: res.status, type: res.headers.get('content-type'), requestId: res.headers.get('x-request-id'), text: await res.text(), etag: res.headers.get('etag') });
    return { direct: await answer(direct), viaExpress: await answer(viaExpress) };
  }

  it('answers every kind of request as Express and Apollo did: same status, type, request id and bytes', async () => {
    const bodies = [
      JSON.stringify({ query: '{ viewer { role projectId } }' }),
      JSON.stringify({ query: 'query Named { viewer { role } }', operationName: 'Named', variables: {} }),
      JSON.stringify({ query: '{ viewer { ' }),
      JSON.stringify({ query: '{ viewer { nope } }' }),
      JSON.stringify({ query: 'query($n: Int) { experiments(first: $n) { totalCount } }', variables: { n: 'ten' } }),
      JSON.stringify({ query: 'mutation { createExperiment(input: { name: "x" }) { id } }' }),
      JSON.stringify({ query: '{ viewer { role } }', variables: [1] }),
      JSON.stringify({ query: '{ viewer { role } }', operationName: 5 }),
      JSON.stringify({ query: 5 }),
      JSON.stringify([{ query: '{ viewer { role } }' }]),
      '{}',
      '"text"',
      ' 12',
      '',
      '{"query": "{ viewer { role } }", oops',
      `\ufeff${JSON.stringify({ query: '{ viewer { role } }' })}`,
    ];
    for (const body of bodies) {
      const { direct, viaExpress } = await bothPaths(body);
      expect({ ...direct, etag: null }, body).toEqual({ ...viaExpress, etag: null });
      expect(direct.requestId).toBe('parity-1');
      // Proof the two went different ways: Express hashes every body for an ETag, which no client caches for a POST.
      expect(direct.etag, body).toBeNull();
      expect(viaExpress.etag, body).not.toBeNull();
    }
  });

  it('leaves what it does not read plainly to Express: other charsets and encodings, other types, chunked bodies', async () => {
    const query = JSON.stringify({ query: '{ viewer { role } }' });
    const utf16 = await fetch(t.lab.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-16le', authorization: `Bearer ${t.project.key}` },
      body: Buffer.from(query, 'utf16le'),
    });
    expect(utf16.status).toBe(200);
    expect(await utf16.json()).toEqual({ data: { viewer: { role: 'VIEWER' } } });
    const text = await fetch(t.lab.graphqlUrl, { method: 'POST', headers: { 'content-type': 'text/plain', authorization: `Bearer ${t.project.key}` }, body: query });
    expect(text.status).toBe(400);
    expect(((await text.json()) as GraphQLResponse).errors[0].extensions.code).toBe('BAD_REQUEST');
    const chunked = await fetch(t.lab.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.project.key}` },
      body: new ReadableStream({ start: (controller) => (controller.enqueue(new TextEncoder().encode(query)), controller.close()) }),
      duplex: 'half',
    } as RequestInit);
    expect(await chunked.json()).toEqual({ data: { viewer: { role: 'VIEWER' } } });
  });
});

describe('an unexpected error', () => {
  const broken = useTestLab('RESEARCHER', {
    // A store that fails in a way no client caused: the error must be masked, logged and traceable.
    wrapBlobs: (store) =>
      new Proxy(store, {
        get: (target, name, receiver) =>
          name === 'presignPut' ? () => Promise.reject(new Error('signing key at /etc/secret/key.pem unreadable')) : Reflect.get(target, name, receiver),
      }),
  });

  it('is masked as INTERNAL_SERVER_ERROR with the request id of its response, over HTTP', async () => {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${broken.project.key}` };
    const created = await fetch(broken.lab.graphqlUrl, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: 'mutation { createDataset(input: { name: "d" }) { id } }' }),
    });
    const datasetId = ((await created.json()) as { data: { createDataset: { id: string } } }).data.createDataset.id;
    const res = await fetch(broken.lab.graphqlUrl, {
      method: 'POST',
      headers: { ...headers, 'x-request-id': 'trace-broken-store' },
      body: JSON.stringify({ query: `mutation { createDatasetUpload(input: { datasetId: "${datasetId}", format: JSONL, sizeBytes: 10 }) { url } }` }),
    });
    const body = (await res.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(body.errors[0]!.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: 'trace-broken-store' });
    expect(body.errors[0]!.message).toContain('quote request id trace-broken-store');
    expect(JSON.stringify(body)).not.toContain('secret');
  });
});
