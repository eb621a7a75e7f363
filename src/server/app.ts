import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Request } from 'express';
import { GraphQLError, parse, specifiedRules, validate, type ExecutionResult } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { AppError } from '../common/errors.js';
import type { SecretBox } from '../common/secret-box.js';
import type { Viewer } from '../modules/auth/viewer.js';
import { withRequestScope } from '../observability/logger.js';
import { isDatabaseReachable, type Database } from '../storage/postgres.js';
import type { LabPubSub } from '../storage/pubsub.js';
import { createLoaders, type Context } from './context.js';
import { createErrorFormatter } from './errors.js';
import { buildLabSchema } from './schema.js';
import { assertWithinCost, costLimitPlugin, validationRules } from './security.js';
import { createRepos, createServices, type Services } from './services.js';
import type { UploadLimits } from '../modules/datasets/datasets.service.js';
import { createLocalBlobRouter, LocalBlobStore, type BlobStore } from '../storage/blobs/index.js';

export interface ServerDeps {
  database: Database;
  pubsub: LabPubSub;
  secrets: SecretBox;
  logger: Logger;
  production: boolean;
  /** Made once the server listens: a local store signs URLs that point back at this server. */
  blobs: (serverUrl: string) => BlobStore;
  uploads: UploadLimits;
}

export interface LabServer {
  url: string;
  httpServer: Server;
  services: Services;
  blobs: BlobStore;
  stop(): Promise<void>;
}

const GRAPHQL_PATH = '/graphql';

/** A request id from the caller's X-Request-Id when it looks like one, else a new one. */
function requestIdOf(req: Request): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
}

/** GraphQL over HTTP and graphql-ws on one port and path, plus /healthz and /readyz. */
export async function startServer(deps: ServerDeps, listen: { port: number; host: string }): Promise<LabServer> {
  const { database, pubsub, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  await new Promise<void>((resolve) => httpServer.listen(listen.port, listen.host, resolve));
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://${listen.host === '0.0.0.0' ? 'localhost' : listen.host}:${port}`;

  const blobs = deps.blobs(url);
  const repos = createRepos(database.db);
  const services = createServices(repos, { pubsub, secrets: deps.secrets, blobs, uploads: deps.uploads });
  const schema = await buildLabSchema(pubsub);
  const formatError = createErrorFormatter(logger);

  const contextFor = (viewer: Viewer, requestId: string): Context => {
    const context: Context = {
      requestId,
      viewer,
      logger: logger.child({ requestId, subject: viewer.subject }),
      loaders: createLoaders(repos, viewer.projectId),
      resetLoaders: () => {
        context.loaders = createLoaders(repos, viewer.projectId);
      },
      services,
      pubsub,
    };
    return context;
  };
  // The same rules over HTTP and WebSocket (src/server/security.ts).
  const rules = validationRules(deps.production);
  // What a WebSocket client sees of an error: the HTTP formatter's output, as the GraphQLError instance graphql-ws requires.
  const shownOverWs = (err: unknown): GraphQLError => {
    const error = err instanceof GraphQLError ? err : new GraphQLError(String(err), { originalError: err as Error });
    const shown = formatError(error.toJSON(), error);
    return new GraphQLError(shown.message, { path: shown.path, extensions: shown.extensions });
  };

  // Messages are GraphQL operations: the HTTP body limit applies to them too, before authentication.
  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH, maxPayload: 1024 * 1024 });
  const socketsByKey = new Map<string, Set<WebSocket>>();
  const revocations = pubsub.subscribe('api-key:revoked');
  const closingRevoked = (async () => {
    for await (const { apiKeyId } of revocations) {
      for (const socket of socketsByKey.get(apiKeyId) ?? []) socket.close(CloseCode.Unauthorized, 'This API key was revoked.');
    }
  })();
  const wsCleanup = useServer<Record<string, unknown>, { viewer?: Viewer }>(
    {
      schema,
      // Authenticates once per connection; a bad key closes the socket with 4401 and the reason.
      onConnect: async (ctx) => {
        try {
          const viewer = await services.auth.authenticate(ctx.connectionParams?.authorization);
          ctx.extra.viewer = viewer;
          const sockets = socketsByKey.get(viewer.apiKeyId) ?? new Set();
          socketsByKey.set(viewer.apiKeyId, sockets.add(ctx.extra.socket));
          ctx.extra.socket.once('close', () => {
            sockets.delete(ctx.extra.socket);
            if (sockets.size === 0) socketsByKey.delete(viewer.apiKeyId);
          });
          return true;
        } catch (err) {
          if (!(err instanceof AppError)) logger.error({ err }, 'graphql-ws authentication failed');
          // A close reason holds at most 123 bytes.
          ctx.extra.socket.close(CloseCode.Unauthorized, err instanceof AppError ? err.message.slice(0, 120) : 'Unauthorized');
          return false;
        }
      },
      // Each operation re-checks the key (a revoked key stops at once) and is validated like HTTP.
      onSubscribe: async (ctx, _id, payload) => {
        const viewer = ctx.extra.viewer!;
        try {
          await services.auth.recheck(viewer);
          const document = parse(payload.query);
          const errors = validate(schema, document, [...specifiedRules, ...rules]);
          if (errors.length > 0) return errors.map(shownOverWs);
          assertWithinCost(schema, document, payload.variables ?? {}, payload.operationName);
          return {
            schema,
            document,
            operationName: payload.operationName,
            variableValues: payload.variables,
            contextValue: contextFor(viewer, randomUUID()),
          };
        } catch (err) {
          return [shownOverWs(err)];
        }
      },
      onNext: (_ctx, _id, _payload, _args, result) => {
        const { errors } = result as ExecutionResult;
        return errors ? { ...result, errors: errors.map(shownOverWs) } : result;
      },
      onError: (_ctx, _id, _payload, errors) => errors.map(shownOverWs),
    },
    wsServer,
  );

  const apollo = new ApolloServer<Context>({
    schema,
    formatError,
    introspection: !deps.production,
    validationRules: rules,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    logger,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      costLimitPlugin(schema),
      {
        serverWillStart: async () => ({
          drainServer: async () => {
            await revocations.return?.();
            await closingRevoked;
            await wsCleanup.dispose();
          },
        }),
      },
    ],
  });
  await apollo.start();

  app.use((req, res, next) => {
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    res.locals.requestId = requestId;
    withRequestScope(requestId, next);
  });
  if (blobs instanceof LocalBlobStore) app.use(createLocalBlobRouter(blobs));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const postgres = await isDatabaseReachable(database.sql);
    res.status(postgres ? 200 : 503).json({ status: postgres ? 'ready' : 'not ready', postgres });
  });
  app.use(
    GRAPHQL_PATH,
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const viewer = await services.auth.authenticate(req.headers.authorization);
        return contextFor(viewer, res.locals.requestId as string);
      },
    }),
  );

  logger.info({ url: `${url}${GRAPHQL_PATH}` }, 'GraphQL server listening');

  return {
    url,
    httpServer,
    services,
    blobs,
    stop: () => apollo.stop(),
  };
}
