import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { ApolloServer, type GraphQLRequestContextDidEncounterErrors } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import { GraphQLError, getOperationAST, specifiedRules, validate, type ExecutionResult } from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Lab } from '../app/lab.js';
import { DomainError, ErrorCode } from '../common/errors.js';
import type { Viewer } from '../modules/auth/viewer.js';
import { isDatabaseReachable } from '../storage/postgres.js';
import { contextFactory, type Context } from './context.js';
import { createErrorFormatter, domainErrorOf, errorBody, internalError, toGraphQLError, type RequestScope } from './errors.js';
import { compiledExecution } from './compiled-execution.js';
import { operationKey, sharedSubscribe, type OperationSink } from './shared-execution.js';
import { auditMutations } from './audit.js';
import { rateLimitRootFields, type RateLimitSettings } from './rate-limits.js';
import { requestMetricsPlugin } from './request-metrics.js';
import { createLoadShedder, type SheddingSettings } from './load-shedding.js';
import { subscriptionEventsSent, subscriptionsOpen, wsSockets } from '../observability/metrics.js';
import { buildLabSchema } from './schema.js';
import { assertOperationWithinLimits, limitsPlugin, parseOperation, parseOptions, validationRules, withoutSuggestions } from './security.js';
import { createLocalBlobRouter, LocalBlobStore, type BlobStore } from '../storage/blobs/index.js';
import { consoleRouter } from './console.js';
import { directGraphQLHandler, GRAPHQL_BODY_LIMIT_BYTES, graphQLRequestFault } from './graphql-http.js';

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
function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
}

/**
 * GraphQL over HTTP and graphql-ws on one port and path, plus /healthz and /readyz, for a built
 * lab. Nothing listens until `listen()`, called once every route is in place.
 */
export interface LabServerOptions {
  production: boolean;
  /** Calls per API key and minute of each root field; unset, no limit (tests that do not test limits). */
  rateLimits?: RateLimitSettings;
  /** Bounds past which new HTTP requests get 503 OVERLOADED; unset, none. */
  shedding?: SheddingSettings;
  /** graphql-ws pings each socket this often and closes one that has not answered within as long (default 12 s). */
  wsKeepAliveMs?: number;
}

/** The 4xx/5xx status an error from Express or body-parser carries, if any. */
function httpStatusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown; statusCode?: unknown } | null)?.status ?? (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : undefined;
}

/** What a client is told of a malformed request: the kind of fault, never the parser's message (it may quote the body). */
function malformedRequestMessage(err: unknown): string {
  const type = (err as { type?: unknown } | null)?.type;
  if (type === 'entity.parse.failed') return 'The request body is not valid JSON.';
  if (err instanceof URIError) return 'The URL is not valid percent-encoding.';
  if (typeof type === 'string' && type.startsWith('encoding.')) return 'The request body has an unsupported encoding.';
  if (type === 'charset.unsupported') return 'The request body has an unsupported charset.';
  return 'The request is malformed.';
}

/**
 * Refuses, in JSON, what Apollo would answer in plain text: a method other than GET or POST, a
 * POST body that is not a JSON object with a query string.
 */
function refuseNonGraphQL(req: Request, res: Response, next: NextFunction): void {
  const refuse = (status: number, message: string) => {
    res.status(status).json(errorBody(ErrorCode.BAD_REQUEST, message, res.locals.requestId as string));
  };
  if (req.method !== 'GET' && req.method !== 'POST') {
    res.setHeader('Allow', 'GET, POST');
    refuse(405, `GraphQL is served over GET and POST, not ${req.method}.`);
    return;
  }
  if (req.method === 'POST') {
    const fault = graphQLRequestFault(req.is('application/json') ? req.body : undefined);
    if (fault) {
      refuse(400, fault);
      return;
    }
  }
  next();
}

/** Where browsers send presigned uploads when the blob store is not this server: the origin its URLs name (signing needs no network). */
async function uploadOrigins(blobs: BlobStore): Promise<string[]> {
  if (blobs instanceof LocalBlobStore) return [];
  const { url } = await blobs.presignGet({ key: 'console/origin-probe', expiresInSeconds: 60 });
  return [new URL(url).origin];
}

export async function createLabServer(lab: Lab, options: LabServerOptions): Promise<LabServer> {
  const { database, pubsub, logger, blobs } = lab.parts;
  const { services } = lab;
  const app = express();
  app.disable('x-powered-by');
  // POST /graphql goes straight to Apollo when it is plainly GraphQL (src/server/graphql-http.ts); Express answers the rest.
  let direct: ((req: IncomingMessage, res: ServerResponse) => boolean) | null = null;
  const httpServer = createServer((req, res) => {
    if (!direct?.(req, res)) app(req, res);
  });
  let url: string | null = null;

  const schema = await buildLabSchema(pubsub, lab.resolvers);
  if (options.rateLimits) rateLimitRootFields(schema, options.rateLimits, lab.parts.redis);
  const shedder = options.shedding ? createLoadShedder(options.shedding) : null;
  // Outermost, so that refusals by the rate limits above are in the audit log too.
  auditMutations(schema);
  const formatError = createErrorFormatter(logger);
  const scopeOfError = new WeakMap<object, RequestScope>();
  const contextFor = contextFactory(lab);
  // The same rules over HTTP and WebSocket (src/server/security.ts).
  const rules = validationRules(options.production);
  // Errors already formatted for a WebSocket client: graphql-ws hands errors returned by onSubscribe to onError again.
  const shownErrors = new WeakSet<GraphQLError>();
  // What a WebSocket client sees of an error: the HTTP formatter's output with the operation's request id (there is no
  // response header to carry it), as the GraphQLError instance graphql-ws requires.
  const shownOverWs = (err: unknown, scope: RequestScope): GraphQLError => {
    if (err instanceof GraphQLError && shownErrors.has(err)) return err;
    const error = err instanceof GraphQLError ? err : new GraphQLError(String(err), { originalError: err as Error });
    const shown = formatError(error.toJSON(), error, scope);
    const message = options.production && !shown.path ? withoutSuggestions(shown.message) : shown.message;
    const result = new GraphQLError(message, { path: shown.path, extensions: { ...shown.extensions, requestId: scope.requestId } });
    // The constructor takes locations only from AST nodes; the client still needs to know where in its text.
    (result as { locations?: unknown }).locations = shown.locations;
    shownErrors.add(result);
    return result;
  };

  // A result as a WebSocket client sees it: its errors shown as above, whichever path sends it (graphql-ws or the fan-out's sink).
  const shownResult = (result: ExecutionResult, scope: RequestScope): ExecutionResult =>
    result.errors ? { ...result, errors: result.errors.map((e) => shownOverWs(e, scope)) } : result;

  // Messages are GraphQL operations: the HTTP body limit applies to them too, before authentication.
  // Upgrades are handed over by hand rather than with `server:`, which would make ws re-emit the HTTP
  // server's listen errors (a port taken) as its own, printed by graphql-ws as an internal error.
  const wsServer = new WebSocketServer({ noServer: true, path: GRAPHQL_PATH, maxPayload: 1024 * 1024 });
  // The network socket under each WebSocket, which subscriptions cork while their frames pile up (shared-execution.ts).
  const rawSockets = new WeakMap<WebSocket, Duplex>();
  httpServer.on('upgrade', (req, socket, head) =>
    wsServer.handleUpgrade(req, socket, head, (ws) => {
      rawSockets.set(ws, socket);
      wsServer.emit('connection', ws, req);
    }),
  );
  const socketsByKey = new Map<string, Set<WebSocket>>();
  const revocations = pubsub.subscribe('api-key:revoked');
  const closingRevoked = (async () => {
    for await (const { apiKeyId } of revocations) {
      for (const socket of socketsByKey.get(apiKeyId) ?? []) socket.close(CloseCode.Unauthorized, 'This API key was revoked.');
    }
  })();
  // Subscribers of one operation share each event's execution: the key is all a result depends on.
  const operationKeys = new WeakMap<object, string>();
  // And their results are written straight to their sockets.
  const operationSinks = new WeakMap<object, OperationSink>();
  // Operations counted in the open-subscriptions gauge, each taken off once however it ends.
  const counted = new WeakSet<object>();
  const ended = (scope: object | undefined) => {
    if (scope && counted.delete(scope)) subscriptionsOpen.dec();
  };
  const wsCleanup = useServer<Record<string, unknown>, { viewer?: Viewer; scopes?: Map<string, RequestScope> }>(
    {
      schema,
      subscribe: sharedSubscribe(
        (args) => operationKeys.get(args.contextValue as object) ?? null,
        (args) => operationSinks.get(args.contextValue as object) ?? null,
      ),
      // Authenticates once per connection; a bad key closes the socket with 4401 and the reason.
      onConnect: async (ctx) => {
        try {
          const viewer = await services.auth.authenticate(ctx.connectionParams?.authorization);
          ctx.extra.viewer = viewer;
          // A token's sockets are kept under its subject: no revocation names them, its expiry ends its operations.
          const socketKey = viewer.apiKeyId ?? viewer.subject;
          const sockets = socketsByKey.get(socketKey) ?? new Set();
          socketsByKey.set(socketKey, sockets.add(ctx.extra.socket));
          wsSockets.inc();
          ctx.extra.socket.once('close', () => {
            wsSockets.dec();
            // Operations still open end with their socket.
            for (const scope of ctx.extra.scopes?.values() ?? []) ended(scope);
            sockets.delete(ctx.extra.socket);
            if (sockets.size === 0) socketsByKey.delete(socketKey);
          });
          return true;
        } catch (err) {
          if (err instanceof DomainError) {
            // A close reason holds at most 123 bytes.
            ctx.extra.socket.close(CloseCode.Unauthorized, err.message.slice(0, 120));
          } else {
            // Not the key's fault (the database is unreachable, the server is stopping): 1013 Try Again Later, which clients retry.
            logger.error({ err }, 'graphql-ws authentication failed');
            ctx.extra.socket.close(1013, 'The server could not check the key now; try again.');
          }
          return false;
        }
      },
      // Each operation is a request of its own (its own id, on its log lines and on every error it gets), re-checks the
      // key (a revoked key stops at once) and is held to the limits of HTTP.
      onSubscribe: async (ctx, id, payload) => {
        const viewer = ctx.extra.viewer!;
        const contextValue = contextFor(viewer, randomUUID());
        (ctx.extra.scopes ??= new Map()).set(id, contextValue);
        try {
          await services.auth.recheck(viewer);
          const document = parseOperation(payload.query);
          const errors = validate(schema, document, [...specifiedRules, ...rules]);
          if (errors.length > 0) return errors.map((e) => shownOverWs(e, contextValue));
          assertOperationWithinLimits(schema, document, payload.variables ?? {}, payload.operationName);
          // Variables that do not fit their types are the client's fault, as Apollo says over HTTP (executing, they would surface as unexpected errors).
          const operation = getOperationAST(document, payload.operationName);
          const coerced = operation && getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {}, { maxErrors: 10 });
          if (coerced?.errors) return coerced.errors.map((e) => shownOverWs(new GraphQLError(e.message, { nodes: e.nodes }), contextValue));
          operationKeys.set(contextValue, operationKey(schema, payload.query, document, payload.operationName, payload.variables, [viewer.projectId, viewer.role]));
          const raw = rawSockets.get(ctx.extra.socket);
          if (raw) {
            operationSinks.set(contextValue, {
              socket: ctx.extra.socket,
              raw,
              id,
              shown: (result) => shownResult(result, contextValue),
              sent: () => subscriptionEventsSent.inc(),
            });
          }
          // The gauge counts subscriptions; a query or mutation sent over the socket is a request like any other.
          if (operation?.operation === 'subscription') {
            counted.add(contextValue);
            subscriptionsOpen.inc();
          }
          return {
            schema,
            document,
            operationName: payload.operationName,
            variableValues: payload.variables,
            contextValue,
          };
        } catch (err) {
          return [shownOverWs(err, contextValue)];
        }
      },
      onNext: (_ctx, _id, _payload, args, result) => {
        subscriptionEventsSent.inc();
        return shownResult(result as ExecutionResult, args.contextValue as Context);
      },
      onError: (ctx, id, _payload, errors) => {
        const scope = ctx.extra.scopes?.get(id) ?? { requestId: randomUUID(), logger };
        // An operation that ends in an error is not completed: its scope goes here.
        ended(scope);
        ctx.extra.scopes?.delete(id);
        return errors.map((e) => shownOverWs(e, scope));
      },
      onComplete: (ctx, id) => {
        ended(ctx.extra.scopes?.get(id));
        ctx.extra.scopes?.delete(id);
      },
    },
    wsServer,
    // A client gone without closing (or one that stopped reading) answers no ping: its socket is closed and its subscriptions end.
    options.wsKeepAliveMs ?? 12_000,
  );

  const recordErrorScopes = {
    didEncounterErrors: async ({ errors, contextValue, response }: GraphQLRequestContextDidEncounterErrors<Context>) => {
      for (const error of errors) {
        scopeOfError.set(error, contextValue);
        // A rate limit refusal is 429 with Retry-After over HTTP, as well as RATE_LIMITED in the body.
        const domain = domainErrorOf(error);
        if (domain?.code === ErrorCode.RATE_LIMITED) {
          response.http.status = 429;
          response.http.headers.set('retry-after', String(domain.details.retryAfterSeconds));
        }
      }
    },
  };
  const apollo = new ApolloServer<Context>({
    gateway: compiledExecution(schema),
    // The request an error happened in, found through the error itself (recorded below when it was met).
    formatError: (formatted, error) => formatError(formatted, error, typeof error === 'object' && error ? scopeOfError.get(error) : undefined),
    introspection: !options.production,
    // No "Did you mean ...?" in production: the suggestions would teach the schema to whoever asks.
    hideSchemaDetailsFromClientErrors: options.production,
    parseOptions,
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
      limitsPlugin(schema),
      requestMetricsPlugin(),
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

  // The context of a GraphQL request over HTTP, on either path.
  const contextOf = async (req: IncomingMessage, requestId: string): Promise<Context> => {
    try {
      return contextFor(await services.auth.authenticate(req.headers.authorization), requestId);
    } catch (err) {
      if (err instanceof DomainError) throw toGraphQLError(err);
      // Before the context exists: logged here with the request id, shown masked.
      logger.error({ err, requestId }, 'unexpected error while authenticating a request');
      throw toGraphQLError(internalError(requestId));
    }
  };

  app.use((req, res, next) => {
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    res.locals.requestId = requestId;
    next();
  });
  // Health checks answer even while the process sheds load; /readyz then says not ready, so the load balancer backs off.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    if (shedder?.shedding()) {
      res.status(503).json({ status: 'not ready', shedding: true });
      return;
    }
    const postgres = await isDatabaseReachable(database.sql);
    res.status(postgres ? 200 : 503).json({ status: postgres ? 'ready' : 'not ready', postgres });
  });
  if (shedder) app.use(shedder.middleware);
  if (blobs instanceof LocalBlobStore) app.use(createLocalBlobRouter(blobs));
  app.all(
    GRAPHQL_PATH,
    express.json({ limit: GRAPHQL_BODY_LIMIT_BYTES }),
    refuseNonGraphQL,
    expressMiddleware(apollo, { context: async ({ req, res }) => contextOf(req, res.locals.requestId as string) }),
  );
  direct = directGraphQLHandler(apollo, {
    path: GRAPHQL_PATH,
    requestIdOf,
    shedding: shedder?.shedding,
    admit: shedder?.admit,
    context: contextOf,
    logger,
  });

  app.use(consoleRouter(undefined, { connectSources: await uploadOrigins(blobs) }));

  // Whatever no route answered, and every error Express itself meets (malformed JSON, a body over the
  // limit, a malformed URL): JSON with a code and the request id, never Express's HTML page.
  app.use((req, res) => {
    res.status(404).json(errorBody(ErrorCode.NOT_FOUND, `Nothing at ${req.method} ${req.path.slice(0, 200)}; GraphQL is at POST ${GRAPHQL_PATH}.`, res.locals.requestId as string));
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const requestId = (res.locals.requestId as string | undefined) ?? requestIdOf(req);
    const status = httpStatusOf(err);
    if (res.headersSent) {
      logger.error({ err: { message: (err as Error)?.message }, requestId }, 'error after the response started');
      res.destroy();
      return;
    }
    // A refused body is not read further (nor logged: it may hold secrets).
    if (!req.complete) res.setHeader('Connection', 'close');
    if (status === 413) {
      res.status(413).json(errorBody(ErrorCode.BAD_REQUEST, 'The request body is over the limit of 1 MB.', requestId));
    } else if (status !== undefined && status < 500) {
      res.status(status).json(errorBody(ErrorCode.BAD_REQUEST, malformedRequestMessage(err), requestId));
    } else {
      logger.error({ err, requestId }, 'unexpected error in an HTTP request');
      const masked = internalError(requestId);
      res.status(500).json(errorBody(masked.code, masked.message, requestId));
    }
  });

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
    stop: async () => {
      shedder?.stop();
      await apollo.stop();
    },
  };
}
