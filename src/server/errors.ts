import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { ArgumentValidationError } from 'type-graphql';
import type { ValidationError } from 'class-validator';
import { DomainError, ErrorCode } from '../common/errors.js';

/** Errors that Apollo or graphql-js raise about the request itself: the client must fix the request. */
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

function flatten(errors: ValidationError[], parent = ''): { field: string; messages: string[] }[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, messages: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = { BAD_USER_INPUT: 400, UNAUTHENTICATED: 401, RATE_LIMITED: 429, OVERLOADED: 503 };

/** The DomainError behind an error, however many GraphQL wrappers it went through. */
export function domainErrorOf(error: unknown): DomainError | null {
  for (let e: unknown = error; e instanceof Error; e = (e as GraphQLError).originalError) {
    if (e instanceof DomainError) return e;
    if (!(e instanceof GraphQLError)) return null;
  }
  return null;
}

/** The code a resolver's error is shown with (the formatter below decides the same way); for the audit log. */
export function errorCodeOf(error: unknown): ErrorCode {
  const domain = domainErrorOf(error);
  if (domain) return domain.code;
  if (error instanceof ArgumentValidationError) return ErrorCode.BAD_USER_INPUT;
  return ErrorCode.INTERNAL_SERVER_ERROR;
}

/** A DomainError as the GraphQLError Apollo and graphql-ws expect where they take only those, with its HTTP status. */
export function toGraphQLError(error: DomainError): GraphQLError {
  const status = HTTP_STATUS[error.code];
  return new GraphQLError(error.message, { originalError: error, extensions: { code: error.code, ...(status ? { http: { status } } : {}) } });
}

/** A response that is not GraphQL's (a malformed request, an unknown route) in the shape of a GraphQL error. */
export function errorBody(code: ErrorCode, message: string, requestId: string): { errors: GraphQLFormattedError[] } {
  return { errors: [{ message, extensions: { code, requestId } }] };
}

/** The request an error happened in: its id, and the logger whose lines carry it (a request's context is one). */
export interface RequestScope {
  requestId: string;
  logger: Logger;
}

/** What an unexpected error shows: its code and the request id to quote, nothing of the error itself. */
export function internalError(requestId: string | undefined): DomainError {
  return new DomainError(ErrorCode.INTERNAL_SERVER_ERROR, `Internal server error. It was logged; quote request id ${requestId ?? 'unknown'} when you report it.`, { requestId });
}

/**
 * Keeps client errors (DomainError, input validation, malformed requests) with a code from the
 * closed set, and masks everything else: logged with the request id, shown as INTERNAL_SERVER_ERROR.
 */
export function createErrorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown, scope?: RequestScope): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };
    const domain = domainErrorOf(original);
    if (domain) return { ...base, message: domain.message, extensions: { code: domain.code, ...domain.details } };
    if (original instanceof ArgumentValidationError) {
      const problems = flatten(original.extensions.validationErrors as ValidationError[]);
      return {
        ...base,
        message: `Invalid input: ${problems.flatMap((p) => p.messages).join('; ')}.`,
        extensions: { code: ErrorCode.BAD_USER_INPUT, fields: problems.map((p) => p.field), field: problems[0]?.field },
      };
    }
    const code = formatted.extensions?.code;
    const isRequestError =
      (typeof code === 'string' && REQUEST_ERROR_CODES.has(code)) ||
      (original instanceof GraphQLError && !original.originalError && original.path === undefined);
    if (isRequestError) return { ...base, extensions: { code: ErrorCode.BAD_USER_INPUT } };
    (scope?.logger ?? logger).error({ err: original, path: formatted.path }, 'unexpected error in request');
    const masked = internalError(scope?.requestId);
    return { message: masked.message, locations: formatted.locations, path: formatted.path, extensions: { code: masked.code, ...masked.details } };
  };
}
