import { print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/common/global-id.js';
import { graphql } from '../gql/index.js';
import { graphqlError, httpClient, subscribe, useTestLab, wsClient } from '../helpers/lab.js';

const AuditEvents = graphql(`
  query AuditEvents($first: Int, $after: String, $actorApiKeyId: ID, $action: String) {
    auditEvents(first: $first, after: $after, actorApiKeyId: $actorApiKeyId, action: $action) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        actor {
          id
          name
        }
        actorName
        action
        targetIds
        outcome
        requestId
        createdAt
      }
    }
  }
`);

const CreateExperimentAudited = graphql(`
  mutation CreateExperimentAudited($name: String!) {
    createExperiment(input: { name: $name }) {
      id
    }
  }
`);

const ArchiveExperimentAudited = graphql(`
  mutation ArchiveExperimentAudited($id: ID!) {
    archiveExperiment(id: $id) {
      id
    }
  }
`);

const CreateApiKeyAudited = graphql(`
  mutation CreateApiKeyAudited($name: String!) {
    createApiKey(name: $name, role: VIEWER) {
      apiKey {
        id
      }
      secret
    }
  }
`);

const CreateModelAudited = graphql(`
  mutation CreateModelAudited($apiKey: String!) {
    createModel(input: { name: "audited model", provider: OPENAI, modelName: "gpt-4o-mini", apiKey: $apiKey }) {
      id
    }
  }
`);

describe('the audit log', () => {
  const t = useTestLab('ADMIN');

  /** A key of its own for each test, so its events can be filtered apart. */
  async function keyOf(role: 'VIEWER' | 'RESEARCHER' | 'ADMIN', name = `audit ${role.toLowerCase()}`) {
    const { row, secret } = await t.lab.services.auth.createKey(t.project.projectId, name, role);
    return { id: toGlobalId('ApiKey', row.id), secret, client: httpClient(t.lab.graphqlUrl, secret) };
  }

  const eventsOf = async (actorApiKeyId: string, action?: string) =>
    (await t.project.client.request(AuditEvents, { first: 100, actorApiKeyId, action })).auditEvents;

  it('records a mutation that succeeded: who, what, the id it created, OK, and the request id the caller saw', async () => {
    const researcher = await keyOf('RESEARCHER', 'audit researcher');
    const { data, headers } = await researcher.client.rawRequest<{ createExperiment: { id: string } }>(print(CreateExperimentAudited), { name: 'audited' });
    const [event] = (await eventsOf(researcher.id)).nodes;
    expect(event).toMatchObject({
      actor: { id: researcher.id, name: 'audit researcher' },
      actorName: 'api-key:audit researcher',
      action: 'createExperiment',
      targetIds: [data.createExperiment.id],
      outcome: 'OK',
      requestId: headers.get('x-request-id'),
    });
  });

  it('records refusals with their code: by role, an unknown id, bad input', async () => {
    const viewer = await keyOf('VIEWER');
    expect((await graphqlError(viewer.client.request(CreateExperimentAudited, { name: 'not allowed' }))).code).toBe('FORBIDDEN');
    const researcher = await keyOf('RESEARCHER');
    const missing = toGlobalId('Experiment', '00000000-0000-4000-8000-000000000000');
    expect((await graphqlError(researcher.client.request(ArchiveExperimentAudited, { id: missing }))).code).toBe('NOT_FOUND');
    expect((await graphqlError(researcher.client.request(ArchiveExperimentAudited, { id: 'not-an-id' }))).code).toBe('BAD_USER_INPUT');
    expect((await graphqlError(researcher.client.request(CreateExperimentAudited, { name: '' }))).code).toBe('BAD_USER_INPUT');

    expect((await eventsOf(viewer.id)).nodes.map((e) => [e.action, e.outcome, e.targetIds])).toEqual([['createExperiment', 'FORBIDDEN', []]]);
    // Newest first; a malformed id is not kept (only well-formed global ids are).
    expect((await eventsOf(researcher.id)).nodes.map((e) => [e.action, e.outcome, e.targetIds])).toEqual([
      ['createExperiment', 'BAD_USER_INPUT', []],
      ['archiveExperiment', 'BAD_USER_INPUT', []],
      ['archiveExperiment', 'NOT_FOUND', [missing]],
    ]);
  });

  it('keeps no secret: neither a new key\'s secret nor a model\'s provider key', async () => {
    const admin = await keyOf('ADMIN');
    const created = await admin.client.request(CreateApiKeyAudited, { name: 'ci bot' });
    const model = await admin.client.request(CreateModelAudited, { apiKey: 'sk-audit-secret-value-123' });
    const { nodes } = await eventsOf(admin.id);
    expect(nodes.map((e) => [e.action, e.outcome, e.targetIds])).toEqual([
      ['createModel', 'OK', [model.createModel.id]],
      ['createApiKey', 'OK', [created.createApiKey.apiKey.id]],
    ]);
    const rows = JSON.stringify(await t.lab.database.sql`select * from audit_events where project_id = ${t.project.projectId}`);
    expect(rows).toContain('createModel');
    expect(rows).not.toContain(created.createApiKey.secret);
    expect(rows).not.toContain('sk-audit-secret-value-123');
  });

  it('records mutations sent over WebSocket too', async () => {
    const researcher = await keyOf('RESEARCHER');
    const client = wsClient(t.lab.wsUrl, researcher.secret);
    try {
      const { value } = await subscribe(client, CreateExperimentAudited, { name: 'over ws' }).next();
      const id = value!.data!.createExperiment.id;
      const [event] = (await eventsOf(researcher.id)).nodes;
      expect(event).toMatchObject({ action: 'createExperiment', outcome: 'OK', targetIds: [id] });
      expect(event!.requestId).toMatch(/\S/);
    } finally {
      await client.dispose();
    }
  });

  it('filters by action, pages newest first, and counts', async () => {
    const researcher = await keyOf('RESEARCHER');
    for (const name of ['one', 'two', 'three']) await researcher.client.request(CreateExperimentAudited, { name });
    await graphqlError(researcher.client.request(ArchiveExperimentAudited, { id: 'nope' }));
    const first = (await t.project.client.request(AuditEvents, { first: 2, actorApiKeyId: researcher.id, action: 'createExperiment' })).auditEvents;
    expect(first.totalCount).toBe(3);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = (await t.project.client.request(AuditEvents, { first: 2, after: first.pageInfo.endCursor, actorApiKeyId: researcher.id, action: 'createExperiment' })).auditEvents;
    expect(rest.pageInfo.hasNextPage).toBe(false);
    const all = [...first.nodes, ...rest.nodes];
    expect(all).toHaveLength(3);
    expect(new Set(all.map((e) => e.id)).size).toBe(3);
    const times = all.map((e) => Date.parse(e.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('is readable by ADMIN only, through auditEvents and node(id:)', async () => {
    const researcher = await keyOf('RESEARCHER');
    await researcher.client.request(CreateExperimentAudited, { name: 'seen by admins' });
    const [event] = (await eventsOf(researcher.id)).nodes;
    for (const role of ['VIEWER', 'RESEARCHER'] as const) {
      const { client } = await t.project.keyWithRole(role);
      expect((await graphqlError(client.request(AuditEvents, {}))).code).toBe('FORBIDDEN');
      const viaNode = await graphqlError(client.request(`query ($id: ID!) { node(id: $id) { id } }`, { id: event!.id }));
      expect(viaNode.code).toBe('FORBIDDEN');
    }
    const { node } = await t.project.client.request<{ node: { id: string; action: string } }>(`query ($id: ID!) { node(id: $id) { id ... on AuditEvent { action } } }`, { id: event!.id });
    expect(node).toEqual({ id: event!.id, action: 'createExperiment' });
  });

  it('is per project: another project\'s admin sees none of these events', async () => {
    const other = await t.lab.newProject('ADMIN');
    await other.client.request(CreateExperimentAudited, { name: 'elsewhere' });
    const theirs = (await other.client.request(AuditEvents, { first: 100 })).auditEvents.nodes;
    expect(theirs.map((e) => e.action)).toEqual(['createExperiment']);
  });
});
