import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/common/global-id.js';
import { graphql } from '../gql/index.js';
import { graphqlError, httpClient, startTestLab, subscribe, useTestLab, wsClient, type TestLab } from '../helpers/lab.js';
import { ViewerQuery } from '../helpers/operations.js';

const ISSUER = 'https://idp.test';
const AUDIENCE = 'llm-lab';
const SECRET = 'a-shared-hs256-secret-of-at-least-32-characters';
const secretKey = new TextEncoder().encode(SECRET);

const CreateExperimentWithToken = graphql(`
  mutation CreateExperimentWithToken {
    createExperiment(input: { name: "by a token" }) {
      id
    }
  }
`);

const AuditOfTokens = graphql(`
  query AuditOfTokens {
    auditEvents(first: 1, action: "createExperiment") {
      nodes {
        actor {
          id
        }
        actorName
        outcome
      }
    }
  }
`);

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('JWT bearer tokens (HS256 secret)', () => {
  const t = useTestLab('ADMIN', { jwt: { issuer: ISSUER, audience: AUDIENCE, secret: SECRET, projectClaim: 'lab_project', roleClaim: 'lab_role' } });

  const claims = (extra: JWTPayload = {}): JWTPayload => ({ lab_project: toGlobalId('Project', t.project.projectId), lab_role: 'RESEARCHER', ...extra });
  const sign = (payload: JWTPayload, options: { issuer?: string; audience?: string; expires?: string | number; key?: Uint8Array } = {}) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice@example.com')
      .setIssuer(options.issuer ?? ISSUER)
      .setAudience(options.audience ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(options.expires ?? '5m')
      .sign(options.key ?? secretKey);

  it('signs in over HTTP with the project and role of its claims, beside API keys', async () => {
    const client = httpClient(t.lab.graphqlUrl, await sign(claims()));
    const { viewer } = await client.request(ViewerQuery);
    expect(viewer).toMatchObject({ role: 'RESEARCHER', subject: 'jwt:alice@example.com', project: { id: toGlobalId('Project', t.project.projectId) } });
    // The project's UUID is accepted too, and API keys still work.
    expect((await httpClient(t.lab.graphqlUrl, await sign(claims({ lab_project: t.project.projectId, lab_role: 'VIEWER' }))).request(ViewerQuery)).viewer.role).toBe('VIEWER');
    expect((await t.project.client.request(ViewerQuery)).viewer.role).toBe('ADMIN');
  });

  it('is audited under the token\'s subject, with no API key', async () => {
    await httpClient(t.lab.graphqlUrl, await sign(claims())).request(CreateExperimentWithToken);
    const [event] = (await t.project.client.request(AuditOfTokens)).auditEvents.nodes;
    expect(event).toEqual({ actor: null, actorName: 'jwt:alice@example.com', outcome: 'OK' });
  });

  it('signs in over WebSocket', async () => {
    const client = wsClient(t.lab.wsUrl, await sign(claims()));
    try {
      const { value } = await subscribe(client, ViewerQuery, {}).next();
      expect(value?.data?.viewer).toMatchObject({ role: 'RESEARCHER', subject: 'jwt:alice@example.com' });
    } finally {
      await client.dispose();
    }
  });

  it('refuses alg none, expired, wrong audience or issuer, a bad signature and bad claims with UNAUTHENTICATED saying why', async () => {
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ ...claims(), sub: 'mallory', iss: ISSUER, aud: AUDIENCE, exp: now + 300 })}.`;
    const cases: [string, Promise<string>, RegExp][] = [
      ['alg none', Promise.resolve(unsigned), /algorithm this lab does not accept/],
      ['expired', sign(claims(), { expires: now - 60 }), /has expired/],
      ['wrong audience', sign(claims(), { audience: 'someone-else' }), /"aud" claim/],
      ['wrong issuer', sign(claims(), { issuer: 'https://evil.test' }), /"iss" claim/],
      ['bad signature', sign(claims(), { key: new TextEncoder().encode('another-secret-of-at-least-32-characters!!') }), /signature does not verify/],
      ['no role', sign(claims({ lab_role: 'OWNER' })), /"lab_role" claim must be one of VIEWER, RESEARCHER, ADMIN/],
      ['no project', sign(claims({ lab_project: 'acme' })), /"lab_project" claim must hold a project id/],
      ['unknown project', sign(claims({ lab_project: '00000000-0000-4000-8000-000000000000' })), /project that does not exist/],
    ];
    for (const [name, token, message] of cases) {
      const error = await graphqlError(httpClient(t.lab.graphqlUrl, await token).request(ViewerQuery));
      expect(error.code, name).toBe('UNAUTHENTICATED');
      expect(error.message, name).toMatch(message);
    }
  });

  it('closes a WebSocket with an expired token with 4401 and the reason', async () => {
    const client = wsClient(t.lab.wsUrl, await sign(claims(), { expires: Math.floor(Date.now() / 1000) - 60 }));
    try {
      const closed = await subscribe(client, ViewerQuery, {})
        .next()
        .then(
          () => null,
          (event: { code: number; reason: string }) => event,
        );
      expect(closed?.code).toBe(4401);
      expect(closed?.reason).toMatch(/has expired/);
    } finally {
      await client.dispose();
    }
  });
});

describe('JWT bearer tokens (the identity provider\'s JWKS)', () => {
  let jwks: Server;
  let lab: TestLab;
  let projectId: string;
  const keys = { known: null as unknown as PrivateKey, unknown: null as unknown as PrivateKey };

  beforeAll(async () => {
    const known = await generateKeyPair('RS256', { extractable: true });
    const unknown = await generateKeyPair('RS256', { extractable: true });
    keys.known = known.privateKey;
    keys.unknown = unknown.privateKey;
    const body = JSON.stringify({ keys: [{ ...(await exportJWK(known.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] });
    jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    lab = await startTestLab({ jwt: { issuer: ISSUER, audience: AUDIENCE, jwksUrl, projectClaim: 'org', roleClaim: 'lab/role' } });
    projectId = (await lab.newProject()).projectId;
  });
  afterAll(async () => {
    await lab?.close();
    await new Promise((resolve) => jwks?.close(resolve));
  });

  const sign = (kid: string, key: PrivateKey) =>
    new SignJWT({ org: projectId, 'lab/role': 'ADMIN' }).setProtectedHeader({ alg: 'RS256', kid }).setSubject('bob').setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(key);

  it('accepts a token signed with a published key, under the configured claim names', async () => {
    const { viewer } = await httpClient(lab.graphqlUrl, await sign('k1', keys.known)).request(ViewerQuery);
    expect(viewer).toMatchObject({ role: 'ADMIN', subject: 'jwt:bob' });
  });

  it('refuses a token signed with a key it does not publish, and an HS256 token', async () => {
    const unknownKid = await graphqlError(httpClient(lab.graphqlUrl, await sign('k2', keys.unknown)).request(ViewerQuery));
    expect(unknownKid.code).toBe('UNAUTHENTICATED');
    expect(unknownKid.message).toMatch(/key the identity provider does not publish/);
    const hs256 = await new SignJWT({ org: projectId, 'lab/role': 'ADMIN' }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(secretKey);
    const refused = await graphqlError(httpClient(lab.graphqlUrl, hs256).request(ViewerQuery));
    expect(refused.code).toBe('UNAUTHENTICATED');
    expect(refused.message).toMatch(/algorithm this lab does not accept/);
  });
});
