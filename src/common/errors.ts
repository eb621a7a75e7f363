import { toGlobalId } from './global-id.js';

/** The closed set of `extensions.code` values a client can see. */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** The HTTP request is not a GraphQL request at all: malformed JSON, a body over the limit, a malformed URL. */
  BAD_REQUEST: 'BAD_REQUEST',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
  BUDGET_EXCEEDED: 'BUDGET_EXCEEDED',
  /** The server is shedding load (HTTP 503 with Retry-After): retry after the time it says, or on another instance. */
  OVERLOADED: 'OVERLOADED',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * A refusal meant for whoever called: its message says what to fix, its code is from ErrorCode.
 * Plain data, so services, workers and the CLI throw it alike; the GraphQL layer turns it into
 * `extensions` (src/server/errors.ts).
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra facts for the client, e.g. the input `field` at fault. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const unauthenticated = (message: string) => new DomainError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message: string) => new DomainError(ErrorCode.FORBIDDEN, message);
export const badInput = (message: string, field?: string) =>
  new DomainError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});
export const conflict = (message: string) => new DomainError(ErrorCode.CONFLICT, message);
/** `id` is the row id; the message names the opaque ID clients know. */
export const notFound = (type: string, id: string) => {
  const globalId = toGlobalId(type, id);
  return new DomainError(ErrorCode.NOT_FOUND, `No ${type} with id ${globalId} in this project.`, { id: globalId });
};
