import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Request } from 'express';
import { GraphQLError, parse, specifiedRules, validate, type ExecutionResult } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Lab } from '../app/lab.js';
import { DomainError } from '../common/errors.js';
import type { Viewer } from '../modules/auth/viewer.js';
import { isDatabaseReachable } from '../storage/postgres.js';
import { contextFactory, type Context } from './context.js';
import { createErrorFormatter, internalError, toGraphQLError, type RequestScope } from './errors.js';
import { compiledExecution } from './compiled-execution.js';
import { sharedSubscribe } from './shared-execution.js';
import { buildLabSchema } from './schema.js';
import { assertWithinCost, costLimitPlugin, validationRules } from './security.js';
import { createLocalBlobRouter, LocalBlobStore } from '../storage/blobs/index.js';

export interface LabServer {
  httpServer: Server;
  /** Starts accepting connections, once every route is in place; resolves to the base URL. */
  listen(port: number, host: string): Promise<string>;
  /** The base URL, once listening. */
  url(): string;
  /** Stops accepting, drains requests and subscriptions. */
  stop(): Promise<void>;
}

const GRAPHQL_PATH = '/graphql';

/** A request id from the caller's X-Request-Id when it looks like one, else a new one. */
function requestIdOf(req: Request): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
}

/**
 * GraphQL over HTTP and graphql-ws on one port and path, plus /healthz and /readyz, for a built
 * lab. Nothing listens until `listen()`, called once every route is in place.
 */
export interface LabServerOptions {
  production: boolean;
  /** graphql-ws pings each socket this often and closes one that has not answered within as long (default 12 s). */
  wsKeepAliveMs?: number;
}

export async function createLabServer(lab: Lab, options: LabServerOptions): Promise<LabServer> {
  const { database, pubsub, logger, blobs } = lab.parts;
  const { services } = lab;
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  let url: string | null = null;

  const schema = await buildLabSchema(pubsub, lab.resolvers);
  const formatError = createErrorFormatter(logger);
  const scopeOfError = new WeakMap<object, RequestScope>();
  const contextFor = contextFactory(lab);
  // The same rules over HTTP and WebSocket (src/server/security.ts).
  const rules = validationRules(options.production);
  // What a WebSocket client sees of an error: the HTTP formatter's output, as the GraphQLError instance graphql-ws requires.
  const shownOverWs = (err: unknown, scope?: RequestScope): GraphQLError => {
    const error = err instanceof GraphQLError ? err : new GraphQLError(String(err), { originalError: err as Error });
    const shown = formatError(error.toJSON(), error, scope);
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
  // Subscribers of one operation share each event's execution: the key is all a result depends on.
  const operationKeys = new WeakMap<object, string>();
  const wsCleanup = useServer<Record<string, unknown>, { viewer?: Viewer }>(
    {
      schema,
      subscribe: sharedSubscribe((args) => operationKeys.get(args.contextValue as object) ?? null),
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
          if (!(err instanceof DomainError)) logger.error({ err }, 'graphql-ws authentication failed');
          // A close reason holds at most 123 bytes.
          ctx.extra.socket.close(CloseCode.Unauthorized, err instanceof DomainError ? err.message.slice(0, 120) : 'Unauthorized');
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
          if (errors.length > 0) return errors.map((e) => shownOverWs(e));
          assertWithinCost(schema, document, payload.variables ?? {}, payload.operationName);
          const contextValue = contextFor(viewer, randomUUID());
          operationKeys.set(contextValue, JSON.stringify([viewer.projectId, viewer.role, payload.operationName ?? null, payload.query, payload.variables ?? null]));
          return {
            schema,
            document,
            operationName: payload.operationName,
            variableValues: payload.variables,
            contextValue,
          };
        } catch (err) {
          return [shownOverWs(err)];
        }
      },
      onNext: (_ctx, _id, _payload, args, result) => {
        const { errors } = result as ExecutionResult;
        return errors ? { ...result, errors: errors.map((e) => shownOverWs(e, args.contextValue as Context)) } : result;
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => shownOverWs(e)),
    },
    wsServer,
    // A client gone without closing (or one that stopped reading) answers no ping: its socket is closed and its subscriptions end.
    options.wsKeepAliveMs ?? 12_000,
  );

  const recordErrorScopes = {
    didEncounterErrors: async ({ errors, contextValue }: { errors: readonly GraphQLError[]; contextValue: Context }) => {
      for (const error of errors) scopeOfError.set(error, contextValue);
    },
  };
  const apollo = new ApolloServer<Context>({
    gateway: compiledExecution(schema),
    // The request an error happened in, found through the error itself (recorded below when it was met).
    formatError: (formatted, error) => formatError(formatted, error, typeof error === 'object' && error ? scopeOfError.get(error) : undefined),
    introspection: !options.production,
    validationRules: rules,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    logger,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // The lab sets no cache hints; left on, the plugin wraps every field of every response.
      ApolloServerPluginCacheControlDisabled(),
      costLimitPlugin(schema),
      {
        requestDidStart: async () => recordErrorScopes,
      },
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
    next();
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
        const requestId = res.locals.requestId as string;
        try {
          return contextFor(await services.auth.authenticate(req.headers.authorization), requestId);
        } catch (err) {
          if (err instanceof DomainError) throw toGraphQLError(err);
          // Before the context exists: logged here with the request id, shown masked.
          logger.error({ err, requestId }, 'unexpected error while authenticating a request');
          throw toGraphQLError(internalError(requestId));
        }
      },
    }),
  );

  return {
    httpServer,
    async listen(port, host) {
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          resolve();
        });
      });
      const { port: bound } = httpServer.address() as AddressInfo;
      url = `http://${host === '0.0.0.0' ? 'localhost' : host}:${bound}`;
      logger.info({ url: `${url}${GRAPHQL_PATH}` }, 'GraphQL server listening');
      return url;
    },
    url() {
      if (!url) throw new Error('the server is not listening yet');
      return url;
    },
    stop: () => apollo.stop(),
  };
}
