import { describe, expect, it } from 'vitest';
import { subscribe, useTestLab, wsClient } from '../helpers/lab.js';
import { ArchiveExperiment, CreateExperiment, ExperimentUpdated, UpdateExperiment } from '../helpers/operations.js';

const t = useTestLab('RESEARCHER');

describe('graphql-ws on /graphql', () => {
  it('streams an experiment to an authenticated subscriber each time it changes', async () => {
    const { createExperiment } = await t.project.client.request(CreateExperiment, { input: { name: 'watched' } });
    const client = wsClient(t.lab.wsUrl, t.project.key);
    try {
      const events = subscribe(client, ExperimentUpdated, { id: createExperiment.id });
      const first = events.next();
      // The subscription is registered once the server has acknowledged it; an update before that would be missed.
      await new Promise((resolve) => setTimeout(resolve, 100));
      await t.project.client.request(UpdateExperiment, { id: createExperiment.id, input: { name: 'renamed' } });
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
