import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/common/global-id.js';
import type { RateLimitSettings } from '../../src/server/rate-limits.js';
import { graphql } from '../gql/index.js';
import { graphqlError, httpClient, startTestLab, subscribe, wsClient, type TestLab } from '../helpers/lab.js';

const LIMITS: RateLimitSettings = { queriesPerMinute: 5, mutationsPerMinute: 3, subscriptionsPerMinute: 2, fields: { archiveExperiment: 1 } };

const ViewerRole = graphql(`
  query ViewerRoleLimited {
    viewer {
      role
    }
  }
`);

const ExperimentsLimited = graphql(`
  query ExperimentsLimited {
    experiments(first: 1) {
      totalCount
    }
  }
`);

const CreateExperimentLimited = graphql(`
  mutation CreateExperimentLimited($name: String!) {
    createExperiment(input: { name: $name }) {
      id
    }
  }
`);

const ArchiveExperimentLimited = graphql(`
  mutation ArchiveExperimentLimited($id: ID!) {
    archiveExperiment(id: $id) {
      id
    }
  }
`);

const ExperimentUpdatedLimited = graphql(`
  subscription ExperimentUpdatedLimited($id: ID!) {
    experimentUpdated(id: $id) {
      id
    }
  }
`);

const RenameExperimentLimited = graphql(`
  mutation RenameExperimentLimited($id: ID!) {
    updateExperiment(id: $id, input: { name: "renamed" }) {
      id
    }
  }
`);

const LastAudit = graphql(`
  query LastAuditLimited($actorApiKeyId: ID) {
    auditEvents(first: 1, actorApiKeyId: $actorApiKeyId) {
      nodes {
        action
        outcome
      }
    }
  }
`);

describe('rate limits per API key and root field, shared by two API processes through Redis', () => {
  let a: TestLab;
  let b: TestLab;

  beforeAll(async () => {
    a = await startTestLab({ redis: true, rateLimits: LIMITS });
    b = await startTestLab({ sameDatabaseAs: a, redis: true, rateLimits: LIMITS });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  /** A fresh key (its own counts) and a client of it on each process. */
  async function freshKey(role: 'RESEARCHER' | 'ADMIN' = 'RESEARCHER') {
    const project = await a.newProject('ADMIN');
    const { row, secret } = await a.services.auth.createKey(project.projectId, `limited ${role}`, role);
    return { id: toGlobalId('ApiKey', row.id), secret, admin: project.client, onA: httpClient(a.graphqlUrl, secret), onB: httpClient(b.graphqlUrl, secret) };
  }

  it('counts a key\'s calls on both processes together: the sixth query of a minute is RATE_LIMITED with a retry time, HTTP 429 and Retry-After', async () => {
    const key = await freshKey();
    for (const client of [key.onA, key.onB, key.onA, key.onB, key.onA]) await client.request(ViewerRole);
    const refused = await graphqlError(key.onB.request(ViewerRole));
    expect(refused.code).toBe('RATE_LIMITED');
    expect(refused.status).toBe(429);
    const retryAfterSeconds = refused.extensions.retryAfterSeconds as number;
    expect(retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(refused.message).toBe(`viewer: this API key is over its limit of 5 a minute; retry in ${retryAfterSeconds} s, or ask an operator to raise LAB_RATE_LIMIT_FIELDS for viewer.`);

    const res = await fetch(a.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key.secret}` },
      body: JSON.stringify({ query: '{ viewer { role } }' }),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    // Per field: another root field has its own count; another key is not affected.
    expect((await key.onA.request(ExperimentsLimited)).experiments.totalCount).toBe(0);
    const other = await freshKey();
    expect((await other.onA.request(ViewerRole)).viewer.role).toBe('RESEARCHER');
  });

  it('limits mutations, with per-field exceptions from config, and the refusal is in the audit log', async () => {
    const key = await freshKey('ADMIN');
    const created = [];
    for (const [i, client] of [key.onA, key.onB, key.onA].entries()) created.push((await client.request(CreateExperimentLimited, { name: `e${i}` })).createExperiment.id);
    expect((await graphqlError(key.onB.request(CreateExperimentLimited, { name: 'one too many' }))).code).toBe('RATE_LIMITED');

    await key.onA.request(ArchiveExperimentLimited, { id: created[0]! });
    expect((await graphqlError(key.onB.request(ArchiveExperimentLimited, { id: created[1]! }))).code).toBe('RATE_LIMITED');
    const [last] = (await key.admin.request(LastAudit, { actorApiKeyId: key.id })).auditEvents.nodes;
    expect(last).toEqual({ action: 'archiveExperiment', outcome: 'RATE_LIMITED' });
  });

  it('limits opening subscriptions over WebSocket, with the same code and retry time', async () => {
    const key = await freshKey();
    const { id } = (await key.onA.request(CreateExperimentLimited, { name: 'watched' })).createExperiment;
    const clients = [wsClient(a.wsUrl, key.secret), wsClient(b.wsUrl, key.secret)];
    const opened = [subscribe(clients[0]!, ExperimentUpdatedLimited, { id }), subscribe(clients[1]!, ExperimentUpdatedLimited, { id })];
    try {
      // Both are open once an update reaches them.
      const firstEvents = opened.map((it) => it.next());
      await new Promise((resolve) => setTimeout(resolve, 300));
      await key.onA.request(RenameExperimentLimited, { id });
      await Promise.all(firstEvents);
      const third = subscribe(clients[0]!, ExperimentUpdatedLimited, { id });
      // graphql-js answers a refused subscribe with one result holding the error, then graphql-ws completes.
      const { value } = await third.next();
      const refusal = value?.errors?.[0];
      expect(refusal?.extensions.code).toBe('RATE_LIMITED');
      expect(refusal?.extensions.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    } finally {
      await Promise.all(opened.map((it) => it.return?.()));
      await Promise.all(clients.map((c) => c.dispose()));
    }
  });
});
