import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { errorMessage } from './error-message.js';

/** Where the CLI finds a lab: `--url`/`--key`, else LAB_URL/LAB_API_KEY. */
export interface LabTarget {
  url?: string;
  key?: string;
}

export const DEFAULT_LAB_URL = 'http://127.0.0.1:4000';

/** A refusal the CLI prints as it is: the message, the API's code and request id when it has them. */
export class LabError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly requestId?: string,
  ) {
    super(message);
  }
}

interface FormattedError {
  message: string;
  extensions?: Record<string, unknown>;
}

const KEY_HELP =
  'The CLI sends LAB_API_KEY (or --key). `llm-lab dev` prints an admin key and keeps it in its data folder (admin-api-key); ' +
  '`llm-lab api-key create --name NAME --role RESEARCHER` makes another.';

function fromFormatted(error: FormattedError, fallbackRequestId?: string | null): LabError {
  const code = typeof error.extensions?.code === 'string' ? error.extensions.code : undefined;
  const requestId = typeof error.extensions?.requestId === 'string' ? error.extensions.requestId : (fallbackRequestId ?? undefined);
  const message = code === 'UNAUTHENTICATED' ? `${error.message}\n${KEY_HELP}` : error.message;
  return new LabError(message, code, requestId);
}

/** What to print for a failure of a run verb: message, then code and request id on a line of their own. */
export function describeLabError(err: unknown): string {
  if (!(err instanceof LabError)) return errorMessage(err);
  const facts = [err.code && `code ${err.code}`, err.requestId && `request id ${err.requestId}`].filter(Boolean);
  return facts.length > 0 ? `${err.message}\n(${facts.join(', ')})` : err.message;
}

/** GraphQL over HTTP with plain fetch, subscriptions over graphql-ws; one key for both. */
export class LabClient {
  readonly graphqlUrl: string;
  private readonly key: string;
  private ws: Client | null = null;

  constructor(target: LabTarget) {
    const key = target.key || process.env.LAB_API_KEY;
    if (!key) throw new LabError(`No API key: set LAB_API_KEY or pass --key.\n${KEY_HELP}`);
    const base = (target.url || process.env.LAB_URL || DEFAULT_LAB_URL).replace(/\/+$/, '');
    // LAB_URL is the base URL; the GraphQL URL `llm-lab dev` prints is accepted too.
    this.graphqlUrl = base.endsWith('/graphql') ? base : `${base}/graphql`;
    this.key = key;
  }

  async request<TData>(query: string, variables: Record<string, unknown> = {}): Promise<TData> {
    let response: Response;
    try {
      response = await fetch(this.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.key}` },
        body: JSON.stringify({ query, variables }),
      });
    } catch (err) {
      throw this.unreachable(err);
    }
    const requestId = response.headers.get('x-request-id');
    const body = (await response.json().catch(() => null)) as FormattedExecutionResult<TData> | null;
    if (body?.errors?.length) throw fromFormatted(body.errors[0]!, requestId);
    if (!body?.data) throw new LabError(`${this.graphqlUrl} answered HTTP ${response.status} without a GraphQL result; is LAB_URL the lab's address?`, undefined, requestId ?? undefined);
    return body.data;
  }

  /** One subscription's results; throws a LabError for GraphQL errors and for a refused key, the raw close event otherwise. */
  async *subscribe<TData>(query: string, variables: Record<string, unknown>): AsyncGenerator<TData> {
    this.ws ??= createClient({
      url: this.graphqlUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${this.key}` },
      lazy: true,
      // The caller resumes by sequence itself: a plain retry would replay from the first afterSequence.
      retryAttempts: 0,
    });
    try {
      for await (const result of this.ws.iterate<TData>({ query, variables })) {
        if (result.errors?.length) throw fromFormatted(result.errors[0]!);
        if (result.data) yield result.data;
      }
    } catch (err) {
      if (Array.isArray(err) && err.length > 0) throw fromFormatted(err[0] as FormattedError);
      if (isCloseEvent(err) && err.code >= 4400 && err.code < 4500) {
        throw fromFormatted({ message: err.reason || `The lab closed the WebSocket (${err.code}).`, extensions: { code: err.code === 4401 ? 'UNAUTHENTICATED' : 'BAD_REQUEST' } });
      }
      throw err;
    }
  }

  unreachable(err: unknown): LabError {
    // fetch says only "fetch failed"; the cause says why (ECONNREFUSED, ENOTFOUND, ...).
    const cause = err instanceof TypeError && err.cause !== undefined ? err.cause : err;
    const why = isCloseEvent(cause) ? `the WebSocket closed (${cause.code}${cause.reason ? `: ${cause.reason}` : ''})` : errorMessage(cause);
    return new LabError(`Could not reach the lab at ${this.graphqlUrl}: ${why}. Is it running? Set LAB_URL or pass --url.`);
  }

  async close(): Promise<void> {
    await this.ws?.dispose();
    this.ws = null;
  }
}

export function isCloseEvent(err: unknown): err is { code: number; reason: string } {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'number' && 'reason' in err;
}
