import { describe, expect, it } from 'vitest';
import { graphqlError, httpClient, useTestLab } from '../helpers/lab.js';
import { CreateApiKey, CreateExperiment, ListApiKeys, ListExperiments, RevokeApiKey, ViewerQuery } from '../helpers/operations.js';

const t = useTestLab('ADMIN');

describe('authentication', () => {
  it('refuses a request without a key with UNAUTHENTICATED and HTTP 401', async () => {
    const error = await graphqlError(httpClient(t.lab.graphqlUrl).request(ViewerQuery));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.status).toBe(401);
    expect(error.message).toContain('Authorization: Bearer');
  });

  it('refuses an unknown key', async () => {
    const error = await graphqlError(httpClient(t.lab.graphqlUrl, 'lab_not-a-real-key-at-all-0000000000000000').request(ViewerQuery));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.message).toContain('not valid');
  });

  it('refuses a header that is not a bearer token', async () => {
    const client = httpClient(t.lab.graphqlUrl);
    client.setHeader('authorization', `Basic ${t.project.key}`);
    const error = await graphqlError(client.request(ViewerQuery));
    expect(error.code).toBe('UNAUTHENTICATED');
  });

  it('identifies the caller', async () => {
    const { viewer } = await t.project.client.request(ViewerQuery);
    expect(viewer.role).toBe('ADMIN');
    expect(viewer.subject).toBe('api-key:test admin');
    expect(viewer.project.name).toMatch(/^test-/);
  });

  it('shows a created key once, lists it by prefix only, and refuses it at once after revoke', async () => {
    const { createApiKey } = await t.project.client.request(CreateApiKey, { name: 'ci', role: 'VIEWER' });
    expect(createApiKey.secret).toMatch(/^lab_/);
    expect(createApiKey.apiKey.prefix).toBe(createApiKey.secret.slice(0, 12));
    const viewerClient = httpClient(t.lab.graphqlUrl, createApiKey.secret);
    expect((await viewerClient.request(ViewerQuery)).viewer.role).toBe('VIEWER');

    const { apiKeys } = await t.project.client.request(ListApiKeys);
    const listed = apiKeys.find((k) => k.id === createApiKey.apiKey.id);
    expect(listed).toMatchObject({ name: 'ci', role: 'VIEWER', revokedAt: null });
    expect(JSON.stringify(apiKeys)).not.toContain(createApiKey.secret);

    const { revokeApiKey } = await t.project.client.request(RevokeApiKey, { id: createApiKey.apiKey.id });
    expect(revokeApiKey.revokedAt).not.toBeNull();
    const error = await graphqlError(viewerClient.request(ViewerQuery));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.message).toContain('revoked');
  });
});

describe('roles', () => {
  it('lets a VIEWER read but not mutate (FORBIDDEN naming the role needed)', async () => {
    const { client } = await t.project.keyWithRole('VIEWER');
    await expect(client.request(ListExperiments, {})).resolves.toBeDefined();
    const error = await graphqlError(client.request(CreateExperiment, { input: { name: 'not allowed' } }));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain('RESEARCHER');
    const { experiments } = await t.project.client.request(ListExperiments, { search: 'not allowed' });
    expect(experiments.totalCount).toBe(0);
  });

  it('lets a RESEARCHER create experiments but not manage keys', async () => {
    const { client } = await t.project.keyWithRole('RESEARCHER');
    const { createExperiment } = await client.request(CreateExperiment, { input: { name: 'by a researcher' } });
    expect(createExperiment.name).toBe('by a researcher');
    expect((await graphqlError(client.request(CreateApiKey, { name: 'x', role: 'ADMIN' }))).code).toBe('FORBIDDEN');
    expect((await graphqlError(client.request(ListApiKeys))).code).toBe('FORBIDDEN');
  });
});
