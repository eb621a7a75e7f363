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
