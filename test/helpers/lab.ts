import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import { GraphQLClient, ClientError } from 'graphql-request';
import { createClient, type Client } from 'graphql-ws';
import { pino } from 'pino';
import { afterAll, beforeAll, inject } from 'vitest';
import WebSocket from 'ws';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../src/common/secret-box.js';
import type { RoleName } from '../../src/modules/auth/viewer.js';
import { startServer, type LabServer } from '../../src/server/app.js';
import { connectDatabase, type Database } from '../../src/storage/postgres.js';
import { createLabPubSub } from '../../src/storage/pubsub.js';

export interface TestLab {
  server: LabServer;
  database: Database;
  graphqlUrl: string;
  wsUrl: string;
  /** SQL statements sent since the lab started. */
  statements(): number;
  /** A new project with a key of the given role, and a client speaking with that key. */
  newProject(role?: RoleName): Promise<TestProject>;
  close(): Promise<void>;
}

export interface TestProject {
  projectId: string;
  key: string;
  client: GraphQLClient;
  /** Another key of the same project. */
  keyWithRole(role: RoleName): Promise<{ key: string; client: GraphQLClient }>;
}

/** The real server on a free port over the test database: real HTTP, real WebSocket. */
export async function startTestLab(): Promise<TestLab> {
  let statements = 0;
  const database = connectDatabase(inject('databaseUrl'), { poolSize: 5, onQuery: () => statements++ });
  const { pubsub, close: closePubSub } = createLabPubSub(process.env.TEST_REDIS_URL);
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const server = await startServer(
    { database, pubsub, logger, secrets: new SecretBox(randomBytes(32)), production: false },
    { port: 0, host: '127.0.0.1' },
  );
  const graphqlUrl = `${server.url}/graphql`;
  const lab: TestLab = {
    server,
    database,
    graphqlUrl,
    wsUrl: graphqlUrl.replace(/^http/, 'ws'),
    statements: () => statements,
    async newProject(role: RoleName = 'ADMIN') {
      const project = await server.services.projects.create(`test-${randomBytes(4).toString('hex')}`);
      const keyWithRole = async (r: RoleName) => {
        const { secret } = await server.services.auth.createKey(project.id, `test ${r.toLowerCase()}`, r);
        return { key: secret, client: httpClient(graphqlUrl, secret) };
      };
      const { key, client } = await keyWithRole(role);
      return { projectId: project.id, key, client, keyWithRole };
    },
    async close() {
      await server.stop();
      await closePubSub();
      await database.close();
    },
  };
  return lab;
}

export function httpClient(url: string, key?: string): GraphQLClient {
  return new GraphQLClient(url, { headers: key ? { authorization: `Bearer ${key}` } : {} });
}

export function wsClient(url: string, key?: string): Client {
  return createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: key ? { authorization: `Bearer ${key}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

export interface GraphQLErrorSeen {
  message: string;
  code: unknown;
  extensions: Record<string, unknown>;
  status: number;
}

/** The first GraphQL error of a request that must fail; throws if it succeeded. */
export async function graphqlError(request: Promise<unknown>): Promise<GraphQLErrorSeen> {
  try {
    await request;
  } catch (err) {
    if (err instanceof ClientError && err.response.errors?.length) {
      const first = err.response.errors[0]!;
      return { message: first.message, code: first.extensions?.code, extensions: first.extensions ?? {}, status: err.response.status };
    }
    throw err;
  }
  throw new Error('The request succeeded; an error was expected');
}

/** A typed subscription over graphql-ws: the results as an async iterator. */
export function subscribe<TResult, TVariables extends Record<string, unknown>>(
  client: Client,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
): AsyncIterableIterator<ExecutionResult<TResult>> {
  return client.iterate({ query: print(document), variables }) as AsyncIterableIterator<ExecutionResult<TResult>>;
}

/**
 * A lab for the whole file and a project with a key of `role`, set up before its tests and
 * closed after them: `const t = useTestLab('RESEARCHER')`, then `t.lab` and `t.project` in tests.
 */
export function useTestLab(role: RoleName = 'ADMIN'): { lab: TestLab; project: TestProject } {
  const fixture = {} as { lab: TestLab; project: TestProject };
  beforeAll(async () => {
    fixture.lab = await startTestLab();
    fixture.project = await fixture.lab.newProject(role);
  });
  afterAll(() => fixture.lab?.close());
  return fixture;
}
