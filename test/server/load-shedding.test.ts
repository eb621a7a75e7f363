import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fromGlobalId } from '../../src/common/global-id.js';
import { createLoadShedder } from '../../src/server/load-shedding.js';
import { graphql } from '../gql/index.js';
import { subscribe, useTestLab, wsClient } from '../helpers/lab.js';

const WatchExperiment = graphql(`
  subscription WatchExperimentWhileShedding($id: ID!) {
    experimentUpdated(id: $id) {
      name
    }
  }
`);

const CreateExperimentBeforeShedding = graphql(`
  mutation CreateExperimentBeforeShedding {
    createExperiment(input: { name: "watched while shedding" }) {
      id
    }
  }
`);

/** A POST whose body never completes: counted in flight from its headers until the socket closes. */
function hangingRequest(url: string, key: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`POST /graphql HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"query":`);
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

const query = (url: string, key: string) =>
  fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ query: '{ viewer { role } }' }) });

describe('load shedding by requests in flight', () => {
  const t = useTestLab('ADMIN', { shedding: { maxInFlight: 3, maxEventLoopLagMs: 0 } });
  let hanging: Socket[] = [];
  afterEach(() => {
    for (const socket of hanging) socket.destroy();
    hanging = [];
  });

  it('refuses new requests with 503 OVERLOADED and Retry-After past the bound, keeps health checks and open subscriptions, and serves again after', async () => {
    const { key } = t.project;
    const { createExperiment } = await t.project.client.request(CreateExperimentBeforeShedding);
    const ws = wsClient(t.lab.wsUrl, key);
    const updates = subscribe(ws, WatchExperiment, { id: createExperiment.id });
    const nextUpdate = updates.next();
    try {
      hanging = await Promise.all([1, 2, 3].map(() => hangingRequest(t.lab.url, key)));
      await new Promise((resolve) => setTimeout(resolve, 100));

      const refused = await query(t.lab.url, key);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      const body = (await refused.json()) as { errors: { message: string; extensions: { code: string; requestId: string } }[] };
      expect(body.errors[0]!.extensions.code).toBe('OVERLOADED');
      expect(body.errors[0]!.message).toMatch(/^The server is overloaded .* retry in 1 s/);
      expect(body.errors[0]!.extensions.requestId).toBe(refused.headers.get('x-request-id'));

      expect((await fetch(`${t.lab.url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${t.lab.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'not ready', shedding: true });

      // A subscription opened before the overload still gets its events.
      await t.lab.services.experiments.update(t.project.projectId, fromGlobalId('Experiment', createExperiment.id), { name: 'renamed while shedding' });
      expect((await nextUpdate).value?.data?.experimentUpdated.name).toBe('renamed while shedding');

      for (const socket of hanging) socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await query(t.lab.url, key)).status).toBe(200);
      expect((await fetch(`${t.lab.url}/readyz`)).status).toBe(200);
    } finally {
      await updates.return?.();
      await ws.dispose();
    }
  });

  it('under a burst of 200 concurrent requests, half of them while the bound is held, answers each with 200 or 503 OVERLOADED, and stays up', async () => {
    const outcome = (res: Response) => (res.status === 200 ? Promise.resolve('200') : res.json().then((body) => `${res.status} ${(body as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code}`));
    const burst = (n: number) => Promise.all(Array.from({ length: n }, () => query(t.lab.url, t.project.key).then(outcome)));
    hanging = await Promise.all([1, 2, 3].map(() => hangingRequest(t.lab.url, t.project.key)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const whileHeld = await burst(100);
    for (const socket of hanging) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = await burst(100);
    expect(new Set(whileHeld)).toEqual(new Set(['503 OVERLOADED']));
    expect([...new Set(after)].every((o) => o === '200' || o === '503 OVERLOADED')).toBe(true);
    expect(after).toContain('200');
    expect((await query(t.lab.url, t.project.key)).status).toBe(200);
  });
});

describe('load shedding by event-loop lag', () => {
  it('sheds after the loop was blocked longer than the bound, and stops once it keeps time again', async () => {
    const shedder = createLoadShedder({ maxInFlight: 0, maxEventLoopLagMs: 200 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(shedder.shedding()).toBe(false);
      const until = performance.now() + 500;
      while (performance.now() < until); // the loop blocked for 500 ms
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(shedder.shedding()).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(shedder.shedding()).toBe(false);
    } finally {
      shedder.stop();
    }
  });
});
