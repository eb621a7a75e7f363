import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { Logger } from 'pino';
import { ErrorCode } from '../common/errors.js';
import { errorBody, internalError } from './errors.js';

/** The body limit of GraphQL over HTTP, on both paths (Express's body parser takes it as '1mb'). */
export const GRAPHQL_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * What is wrong with a parsed POST body as a GraphQL request, or null: it must be a JSON object
 * with a query string (or a persisted query's extensions), object variables and a string
 * operation name. Apollo would answer these in plain text; both HTTP paths refuse them in JSON.
 */
export function graphQLRequestFault(body: unknown): string | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return 'Send a JSON object { "query": ..., "variables": ... } with Content-Type: application/json.';
  }
  const { query, variables, operationName, extensions } = body as Record<string, unknown>;
  if ((query !== undefined && typeof query !== 'string') || (query === undefined && !(extensions && typeof extensions === 'object'))) {
    return 'The request has no query: send { "query": "..." }.';
  }
  if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return '"variables" must be a JSON object.';
  if (operationName != null && typeof operationName !== 'string') return '"operationName" must be a string.';
  return null;
}

/** A JSON answer as Express's `res.status(status).json(value)` writes it (same type, same bytes). */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** `Content-Type: application/json`, bare or with charset utf-8: the bodies the direct path reads as Express's JSON parser would. */
const PLAIN_JSON = /^application\/json\s*(;\s*charset="?utf-8"?\s*)?$/i;
/** What body-parser's strict JSON accepts as a first character (after whitespace). */
const FIRST_CHAR = /^[\x20\x09\x0a\x0d]*([^\x20\x09\x0a\x0d])/;

export interface DirectGraphQLOptions<C extends BaseContext> {
  path: string;
  /** The request id of a request: the caller's X-Request-Id when it looks like one, else a new one. */
  requestIdOf(req: IncomingMessage): string;
  /** Whether new requests are refused now (then Express's chain answers, with its refusal). */
  shedding?(): boolean;
  /** Counts a request in flight until its response closes. */
  admit?(res: ServerResponse): void;
  context(req: IncomingMessage, requestId: string): Promise<C>;
  logger: Logger;
}

/**
 * POST /graphql from node:http straight into Apollo Server's `executeHTTPGraphQLRequest`, for
 * the requests that are plainly GraphQL (JSON in UTF-8 with a length, no content encoding, no
 * query string): Express's router, body parser and `res.send` (which hashes every body for an
 * ETag a POST never uses) cost about a tenth of a console page's CPU. Returns false for every
 * other request, which Express then answers exactly as before (refusals, encodings, GET, 413).
 * Apollo's own HTTP handling (status codes, content negotiation, CSRF prevention) is unchanged:
 * this does what @as-integrations/express5 does, with the body read here.
 */
export function directGraphQLHandler<C extends BaseContext>(apollo: ApolloServer<C>, options: DirectGraphQLOptions<C>): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (req.method !== 'POST' || req.url !== options.path) return false;
    const type = req.headers['content-type'];
    const length = Number(req.headers['content-length']);
    const encoding = req.headers['content-encoding'];
    if (
      type === undefined ||
      !PLAIN_JSON.test(type) ||
      (encoding !== undefined && encoding.toLowerCase() !== 'identity') ||
      req.headers['transfer-encoding'] !== undefined ||
      !Number.isInteger(length) ||
      length > GRAPHQL_BODY_LIMIT_BYTES ||
      options.shedding?.()
    ) {
      return false;
    }
    const requestId = options.requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    options.admit?.(res);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => {});
    req.on('end', () => {
      answer(Buffer.concat(chunks).toString('utf8'), requestId).catch((err: unknown) => {
        if (res.headersSent) {
          options.logger.error({ err: { message: (err as Error)?.message }, requestId }, 'error after the response started');
          res.destroy();
          return;
        }
        options.logger.error({ err, requestId }, 'unexpected error in an HTTP request');
        const masked = internalError(requestId);
        sendJson(res, 500, errorBody(masked.code, masked.message, requestId));
      });
    });
    return true;

    async function answer(text: string, requestId: string): Promise<void> {
      // As body-parser: a byte-order mark is dropped, an empty body is {}, and only an object or array is JSON here.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      let body: unknown = {};
      if (text.length > 0) {
        const first = FIRST_CHAR.exec(text)?.[1];
        try {
          if (first !== '{' && first !== '[') throw new SyntaxError('not an object or array');
          body = JSON.parse(text);
        } catch {
          sendJson(res, 400, errorBody(ErrorCode.BAD_REQUEST, 'The request body is not valid JSON.', requestId));
          return;
        }
      }
      const fault = graphQLRequestFault(body);
      if (fault) {
        sendJson(res, 400, errorBody(ErrorCode.BAD_REQUEST, fault, requestId));
        return;
      }
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: 'POST', headers, search: '', body },
        context: () => options.context(req, requestId),
      });
      for (const [key, value] of response.headers) res.setHeader(key, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'complete') {
        res.setHeader('Content-Length', Buffer.byteLength(response.body.string));
        res.end(response.body.string);
        return;
      }
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    }
  };
}
