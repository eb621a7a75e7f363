import { pino, stdSerializers, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { traceFields } from './tracing.js';

/**
 * Fields that hold a secret wherever a line carries them: keys and secrets, authorization
 * headers and graphql-ws connection params, the secret variables of the config, GraphQL variables
 * with a model's API key. Errors are cleaned by {@link serializeError}; these paths back it up.
 */
const REDACTED_PATHS = [
  'apiKey',
  '*.apiKey',
  'secret',
  '*.secret',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  'connectionParams',
  '*.connectionParams',
  'variables.input.apiKey',
  '*.variables.input.apiKey',
  'LAB_SECRET_KEY',
  '*.LAB_SECRET_KEY',
  'LAB_ADMIN_API_KEY',
  '*.LAB_ADMIN_API_KEY',
  'S3_SECRET_ACCESS_KEY',
  '*.S3_SECRET_ACCESS_KEY',
  'err.parameters',
  'err.params',
  'err.args',
];

/**
 * The root logger. Lines about a request are written through its context's child logger
 * (`ctx.logger`, carrying `requestId`), passed explicitly rather than found through
 * AsyncLocalStorage, whose promise hooks cost every request on Node 22. `destination` is
 * standard output unless given.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'llm-lab' },
    serializers: { err: serializeError },
    // The trace and span of the line, when tracing is on: a log line leads to its trace.
    mixin: traceFields,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    hooks: {
      // `logger.error(err)` makes the error's message the line's `msg`: clean it like the error.
      logMethod(args, method) {
        const [first] = args;
        if (args.length === 1 && first instanceof Error) return method.call(this, first, withoutValues(first.message, valueTexts(first)));
        return method.apply(this, args);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Where database errors keep the values of the statement: postgres.js `parameters` and `args`, drizzle's `params`. */
const STATEMENT_VALUES = new Set(['parameters', 'params', 'args']);
const NOT_LOGGED = '[not logged]';

/**
 * pino's error serializer, without the values of a failed statement (an API key's hash, a
 * sealed provider key, a user's data): the statement's text stays, its values go, from the
 * error's fields, from drizzle's message (`params: …`) and so from every stack that repeats it,
 * and from PostgreSQL's `detail` (`Key (key_hash)=(…) already exists`).
 */
export function serializeError(err: unknown): unknown {
  const serialized = stdSerializers.err(err as Error);
  if (err instanceof Error) return scrub(serialized, valueTexts(err), 0);
  // A message copied off the error (`{ err: { message } }`): drizzle's values are the end of it.
  const { message } = (err ?? {}) as { message?: unknown };
  if (typeof message === 'string' && message.startsWith('Failed query: ')) {
    return { ...(err as object), message: message.replace(/\nparams: [\s\S]*$/, `\nparams: ${NOT_LOGGED}`) };
  }
  return serialized;
}

/** The `\nparams: …` texts drizzle put in the messages of this error and the errors it wraps. */
function valueTexts(err: unknown, found: string[] = [], depth = 0): string[] {
  if (!(err instanceof Error) || depth > 8) return found;
  const { params, cause, originalError, errors } = err as Error & { params?: unknown; originalError?: unknown; errors?: unknown };
  if (Array.isArray(params)) found.push(`\nparams: ${String(params)}`);
  for (const inner of [cause, originalError, ...(Array.isArray(errors) ? errors : [])]) valueTexts(inner, found, depth + 1);
  return found;
}

function withoutValues(text: string, values: string[]): string {
  return values.reduce((t, value) => t.split(value).join(`\nparams: ${NOT_LOGGED}`), text);
}

function scrub(value: unknown, values: string[], depth: number): unknown {
  if (typeof value === 'string') return withoutValues(value, values);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, values, depth + 1));
  const clean: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (STATEMENT_VALUES.has(key)) continue;
    clean[key] = key === 'detail' && typeof inner === 'string' ? withoutQuotedValues(inner) : scrub(inner, values, depth + 1);
  }
  return clean;
}

/** PostgreSQL's detail of a constraint violation quotes the row's values: `Key (col)=(value) …`, `Failing row contains (…)`. */
function withoutQuotedValues(detail: string): string {
  return detail.replace(/\)=\(.*\)/s, `)=(${NOT_LOGGED})`).replace(/contains \(.*\)/s, `contains (${NOT_LOGGED})`);
}
