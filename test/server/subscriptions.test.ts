import { describe, expect, it } from 'vitest';
import { startTestLab, subscribe, useTestLab, wsClient } from '../helpers/lab.js';
import { ArchiveExperiment, CreateApiKey, CreateExperiment, ExperimentUpdated, RevokeApiKey, UpdateExperiment } from '../helpers/operations.js';

const t = useTestLab('RESEARCHER');

/** Calls `poke` every 50 ms until `pending` settles (at most 5 s). */
async function untilSettled(pending: Promise<unknown>, poke: () => Promise<unknown>): Promise<void> {
  let settled = false;
  void pending.finally(() => (settled = true));
  for (let i = 0; i < 100 && !settled; i++) {
    await poke();
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('graphql-ws on /graphql', () => {
  it('streams an experiment to an authenticated subscriber each time it changes', async () => {
    const { createExperiment } = await t.project.client.request(CreateExperiment, { input: { name: 'watched' } });
    const client = wsClient(t.lab.wsUrl, t.project.key);
    try {
      const events = subscribe(client, ExperimentUpdated, { id: createExperiment.id });
      const first = events.next();
      // graphql-ws does not say when the server has registered a subscription: update until an event comes.
      await untilSettled(first, () => t.project.client.request(UpdateExperiment, { id: createExperiment.id, input: { name: 'renamed' } }));
      expect((await first).value?.data?.experimentUpdated).toEqual({ id: createExperiment.id, name: 'renamed', archived: false });
      await t.project.client.request(ArchiveExperiment, { id: createExperiment.id });
      expect((await events.next()).value?.data?.experimentUpdated).toMatchObject({ name: 'renamed', archived: true });
      await events.return?.();
    } finally {
      await client.dispose();
    }
  });

  it.each([
    ['no key', undefined, 'No API key was sent'],
    ['a wrong key', 'lab_wrong-wrong-wrong-wrong-wrong-wrong-wrong', 'not valid'],
  ])('closes a connection with %s with 4401 and the reason', async (_label, key, reason) => {
    const client = wsClient(t.lab.wsUrl, key);
    try {
      const closed = await subscribe(client, ExperimentUpdated, { id: 'x' })
        .next()
        .then(
          () => null,
          (event: { code: number; reason: string }) => event,
        );
      expect(closed?.code).toBe(4401);
      expect(closed?.reason).toContain(reason);
    } finally {
      await client.dispose();
    }
  });
});

describe('graphql-ws and revoked keys', () => {
  const t = useTestLab('ADMIN');

  it('closes an open connection with 4401 as soon as its key is revoked', async () => {
    const { createExperiment } = await t.project.client.request(CreateExperiment, { input: { name: 'watched by a soon revoked key' } });
    const { createApiKey } = await t.project.client.request(CreateApiKey, { name: 'soon revoked', role: 'ADMIN' });
    const client = wsClient(t.lab.wsUrl, createApiKey.secret);
    try {
      const events = subscribe(client, ExperimentUpdated, { id: createExperiment.id });
      const first = events.next();
      await untilSettled(first, () => t.project.client.request(UpdateExperiment, { id: createExperiment.id, input: { name: 'seen' } }));
      expect((await first).value?.data?.experimentUpdated.name).toBe('seen');

      const closed = events.next().then(
        () => null,
        (event: { code: number; reason: string }) => event,
      );
      await t.project.client.request(RevokeApiKey, { id: createApiKey.apiKey.id });
      expect(await closed).toMatchObject({ code: 4401, reason: 'This API key was revoked.' });
    } finally {
      await client.dispose();
    }
  });

  it('closes the connection on another API process too, the revocation crossing Redis', async () => {
    // Two API processes over one database, their pub/sub joined only through Redis.
    const [a, b] = await Promise.all([startTestLab({ redis: true }), startTestLab({ redis: true })]);
    try {
      const project = await a.newProject('ADMIN');
      const { createApiKey } = await project.client.request(CreateApiKey, { name: 'revoked on a', role: 'VIEWER' });
      const client = wsClient(b.wsUrl, createApiKey.secret);
      try {
        const { createExperiment } = await project.client.request(CreateExperiment, { input: { name: 'watched on b' } });
        const events = subscribe(client, ExperimentUpdated, { id: createExperiment.id });
        const first = events.next();
        await untilSettled(first, () => project.client.request(UpdateExperiment, { id: createExperiment.id, input: { name: 'seen on b' } }));
        const closed = events.next().then(
          () => null,
          (event: { code: number; reason: string }) => event,
        );
        await project.client.request(RevokeApiKey, { id: createApiKey.apiKey.id });
        expect(await closed).toMatchObject({ code: 4401, reason: 'This API key was revoked.' });
      } finally {
        await client.dispose();
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('validates operations over WebSocket like over HTTP', async () => {
    const client = wsClient(t.lab.wsUrl, t.project.key);
    try {
      // An operation refused before it starts comes back as graphql-ws's error message: the iterator rejects with the errors.
      const errors = await client
        .iterate({ query: 'subscription { experimentUpdated(id: "x") { nope } }' })
        .next()
        .then(
          () => [],
          (refused: { message: string; extensions?: { code?: string } }[]) => refused,
        );
      expect(errors[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
      expect(errors[0]?.message).toContain('nope');
    } finally {
      await client.dispose();
    }
  });
});
