import { describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/common/global-id.js';
import { graphql } from '../gql/index.js';
import { graphqlError, useTestLab } from '../helpers/lab.js';

const ReadApiKey = graphql(`
  query ReadApiKey($id: ID!) {
    node(id: $id) {
      id
      ... on ApiKey {
        name
        role
        prefix
        lastUsedAt
      }
    }
  }
`);

describe('node(id:) of an ApiKey', () => {
  const t = useTestLab('ADMIN');

  it('answers FORBIDDEN to VIEWER and RESEARCHER keys, as apiKeys does, without reading the key', async () => {
    const { row } = await t.lab.services.auth.createKey(t.project.projectId, 'deploy bot', 'RESEARCHER');
    const id = toGlobalId('ApiKey', row.id);
    for (const role of ['VIEWER', 'RESEARCHER'] as const) {
      const { client } = await t.project.keyWithRole(role);
      const error = await graphqlError(client.request(ReadApiKey, { id }));
      expect(error.code).toBe('FORBIDDEN');
      expect(error.message).toBe(`node(id:) of an ApiKey needs the ADMIN role; this API key has ${role}. Ask an admin of the project for a key with that role.`);
      expect(JSON.stringify(error)).not.toContain('deploy bot');
      expect(JSON.stringify(error)).not.toContain(row.prefix);
      // A key that does not exist is refused alike: the answer tells nothing of which keys exist.
      const missing = await graphqlError(client.request(ReadApiKey, { id: toGlobalId('ApiKey', '00000000-0000-4000-8000-000000000000') }));
      expect(missing.code).toBe('FORBIDDEN');
    }
  });

  it('reads the key for an ADMIN key', async () => {
    const { row } = await t.lab.services.auth.createKey(t.project.projectId, 'reader', 'VIEWER');
    const { node } = await t.project.client.request(ReadApiKey, { id: toGlobalId('ApiKey', row.id) });
    expect(node).toMatchObject({ name: 'reader', role: 'VIEWER', prefix: row.prefix });
  });

  it('still reads the other types with a VIEWER key', async () => {
    const { client } = await t.project.keyWithRole('VIEWER');
    const { node } = await client.request<{ node: { id: string } }>(`query ($id: ID!) { node(id: $id) { id } }`, { id: toGlobalId('Project', t.project.projectId) });
    expect(node.id).toBe(toGlobalId('Project', t.project.projectId));
  });
});
