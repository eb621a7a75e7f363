import { z } from 'zod';

// Empty strings count as unset, so `FOO=` in a .env file falls back to the default.
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());
const url = (example: string, protocols: string[]) =>
  z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .refine((v) => URL.canParse(v) && protocols.includes(new URL(v).protocol), { message: `must be a URL such as ${example}` })
      .optional(),
  );
const int = (fallback: number, min: number, max: number) =>
  z.preprocess(
    (v) => (v === '' || v === undefined ? fallback : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v),
    z
      .number({ invalid_type_error: 'must be a whole number' })
      .int({ message: 'must be a whole number' })
      .min(min, { message: `must be at least ${min}` })
      .max(max, { message: `must be at most ${max}` }),
  );
const HTTP = ['http:', 'https:'];
const INT32_MAX = 2 ** 31 - 1;

export const configSchema = z.object({
  server: z.object({
    PORT: int(4000, 0, 65535),
    /** Prometheus metrics at GET /metrics on this port (on HOST), apart from the API; unset, not served. */
    METRICS_PORT: z.preprocess((v) => (v === '' ? undefined : v), int(0, 0, 65535).optional()),
    HOST: optionalString.transform((v) => v ?? '0.0.0.0'),
    /** The address clients use to reach this server; signed local blob URLs point at it. */
    PUBLIC_URL: url('http://localhost:4000', HTTP),
    NODE_ENV: z
      .preprocess((v) => (v === '' ? undefined : v), z.enum(['development', 'production', 'test']).optional())
      .transform((v) => v ?? 'development'),
    LOG_LEVEL: z
      .preprocess(
        (v) => (v === '' ? undefined : v),
        z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
      )
      .transform((v) => v ?? 'info'),
  }),
  lab: z.object({
    /** Embedded PostgreSQL data, local blobs, the generated admin key and secret key. */
    LAB_DATA_DIR: optionalString.transform((v) => v ?? './.lab'),
    /** When set, `dev` makes the demo project's admin key exactly this value. */
    LAB_ADMIN_API_KEY: optionalString.pipe(
      z
        .string()
        .min(24, { message: 'must be at least 24 characters, so it cannot be guessed' })
        .optional(),
    ),
    /** 32 bytes, hex or base64: encrypts model API keys at rest. `dev` generates one in LAB_DATA_DIR when unset. */
    LAB_SECRET_KEY: optionalString.pipe(
      z
        .string()
        .refine((v) => decodeSecretKey(v) !== null, {
          message: 'must be 32 bytes written as 64 hex characters or 44 base64 characters',
        })
        .optional(),
    ),
    /** 1: let `serve` and `worker` run in production without Redis or S3, knowing one process is all there can be. */
    LAB_ALLOW_SINGLE_PROCESS: z
      .preprocess((v) => (v === '' || v === undefined ? '0' : v), z.enum(['0', '1', 'false', 'true'], { message: 'must be 1 or 0' }))
      .transform((v) => v === '1' || v === 'true'),
  }),
  datasets: z.object({
    /** Largest dataset or artifact upload accepted; sizes are GraphQL Int (32-bit), hence at most 2 GiB - 1. */
    LAB_MAX_UPLOAD_BYTES: int(INT32_MAX, 1, INT32_MAX),
    /** Longest dataset row (a JSONL line or a CSV record) accepted. */
    LAB_MAX_ROW_BYTES: int(1024 ** 2, 1024, 256 * 1024 ** 2),
    /** Uploads larger than this use presigned multipart parts instead of one PUT. */
    LAB_MULTIPART_THRESHOLD_BYTES: int(16 * 1024 ** 2, 5 * 1024 ** 2, INT32_MAX),
    /** Size of each multipart part (S3 requires at least 5 MiB but for the last). */
    LAB_MULTIPART_PART_BYTES: int(8 * 1024 ** 2, 5 * 1024 ** 2, INT32_MAX),
  }),
  worker: z.object({
    /** Provider calls one worker process keeps in flight (across all runs). */
    LAB_WORKER_CONCURRENCY: int(64, 1, 10_000),
    /** A claimed task stays the worker's this long without renewal; a worker that dies loses its tasks after it. */
    LAB_TASK_LEASE_SECONDS: int(30, 2, 3_600),
    /** Per-attempt timeout of a provider call. */
    LAB_PROVIDER_TIMEOUT_MS: int(120_000, 100, 3_600_000),
    /** Tries of one call (the first included) on 429, 5xx, timeouts and connection errors. */
    LAB_PROVIDER_MAX_ATTEMPTS: int(5, 1, 20),
    /** On SIGTERM, calls in flight may finish for this long before their tasks are given back (keep it under the pod's grace period). */
    LAB_WORKER_STOP_GRACE_SECONDS: int(20, 0, 3_600),
  }),
  limits: z.object({
    /** Calls per API key per minute of each root query field (0: no limit). */
    LAB_RATE_LIMIT_QUERIES_PER_MINUTE: int(600, 0, 10_000_000),
    /** Calls per API key per minute of each mutation (0: no limit). */
    LAB_RATE_LIMIT_MUTATIONS_PER_MINUTE: int(120, 0, 10_000_000),
    /** Subscriptions an API key may open per minute, per subscription field (0: no limit). */
    LAB_RATE_LIMIT_SUBSCRIPTIONS_PER_MINUTE: int(120, 0, 10_000_000),
    /** New HTTP requests are refused with 503 while this many are in flight in the process (0: no bound). */
    LAB_SHED_MAX_IN_FLIGHT: int(512, 0, 1_000_000),
    /** ... or while the event loop lags more than this (0: no bound). */
    LAB_SHED_MAX_EVENT_LOOP_LAG_MS: int(1_000, 0, 600_000),
    /** Per-field limits over the defaults above, `field=perMinute` separated by commas. */
    LAB_RATE_LIMIT_FIELDS: z
      .preprocess(
        (v) => (v === '' || v === undefined ? 'startRun=60,retryRun=60,createApiKey=10' : v),
        z.string().regex(/^\s*[A-Za-z_]\w*\s*=\s*\d+\s*(,\s*[A-Za-z_]\w*\s*=\s*\d+\s*)*$/, { message: 'must be field=perMinute pairs separated by commas, e.g. startRun=60,createApiKey=10' }),
      )
      .transform((v) => Object.fromEntries(v.split(',').map((pair) => pair.split('=').map((part) => part.trim())).map(([field, n]) => [field!, Number(n)]))),
  }),
  observability: z.object({
    /** Traces are exported over OTLP/HTTP to this collector (the exporter adds /v1/traces); unset, tracing is off. */
    OTEL_EXPORTER_OTLP_ENDPOINT: url('http://otel-collector:4318', HTTP),
    /** The service name on every span; default llm-lab-<command>. */
    OTEL_SERVICE_NAME: optionalString,
  }),
  jwt: z.object({
    /** Sign-in with identity-provider tokens beside API keys, when LAB_JWT_JWKS_URL or LAB_JWT_SECRET is set. */
    LAB_JWT_ISSUER: optionalString,
    LAB_JWT_AUDIENCE: optionalString,
    /** The provider's JSON Web Key Set (RS256, ES256, EdDSA, ...). */
    LAB_JWT_JWKS_URL: url('https://idp.example.com/.well-known/jwks.json', HTTP),
    /** Or a shared HS256 secret, at least 32 characters. */
    LAB_JWT_SECRET: optionalString.pipe(z.string().min(32, { message: 'must be at least 32 characters (e.g. `openssl rand -hex 32`)' }).optional()),
    LAB_JWT_PROJECT_CLAIM: optionalString.transform((v) => v ?? 'lab_project'),
    LAB_JWT_ROLE_CLAIM: optionalString.transform((v) => v ?? 'lab_role'),
  }),
  postgres: z.object({
    /** Unset in `dev`: an embedded PostgreSQL runs in LAB_DATA_DIR. */
    DATABASE_URL: url('postgres://user:password@host:5432/db', ['postgres:', 'postgresql:']),
    DATABASE_POOL_SIZE: int(10, 1, 200),
  }),
  redis: z.object({
    /** Unset: pub/sub and rate limits stay in this process (one process only). */
    REDIS_URL: url('redis://127.0.0.1:6379', ['redis:', 'rediss:']),
  }),
  clickhouse: z.object({
    /** Unset: metric points are stored in PostgreSQL. */
    CLICKHOUSE_URL: url('http://127.0.0.1:8123', HTTP),
    CLICKHOUSE_DATABASE: optionalString.transform((v) => v ?? 'llm_lab'),
  }),
  s3: z.object({
    /** Unset (with S3_BUCKET): blobs live in LAB_DATA_DIR/blobs, served by this server. */
    S3_ENDPOINT: url('http://127.0.0.1:9000', HTTP),
    S3_BUCKET: optionalString,
    S3_REGION: optionalString.transform((v) => v ?? 'us-east-1'),
    S3_ACCESS_KEY_ID: optionalString,
    S3_SECRET_ACCESS_KEY: optionalString,
    S3_FORCE_PATH_STYLE: z
      .preprocess((v) => (v === '' || v === undefined ? 'true' : v), z.enum(['true', 'false']))
      .transform((v) => v === 'true'),
  }),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the environment into grouped, typed config; throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const groups = Object.fromEntries(
    Object.entries(configSchema.shape).map(([group, schema]) => [
      group,
      Object.fromEntries(Object.keys(schema.shape).map((name) => [name, env[name]])),
    ]),
  );
  const parsed = configSchema.safeParse(groups);
  if (parsed.success) {
    const s3 = parsed.data.s3;
    if (s3.S3_ENDPOINT && !s3.S3_BUCKET) {
      throw new ConfigError(['S3_BUCKET: must be set when S3_ENDPOINT is set']);
    }
    const jwt = parsed.data.jwt;
    if (jwt.LAB_JWT_JWKS_URL || jwt.LAB_JWT_SECRET) {
      const problems = [
        jwt.LAB_JWT_JWKS_URL && jwt.LAB_JWT_SECRET ? 'LAB_JWT_SECRET: set either it or LAB_JWT_JWKS_URL, not both' : null,
        jwt.LAB_JWT_ISSUER ? null : 'LAB_JWT_ISSUER: must be set to accept tokens (the "iss" your identity provider writes)',
        jwt.LAB_JWT_AUDIENCE ? null : 'LAB_JWT_AUDIENCE: must be set to accept tokens (the "aud" your identity provider writes for the lab)',
      ].filter((p): p is string => p !== null);
      if (problems.length > 0) throw new ConfigError(problems);
    }
    return parsed.data;
  }
  throw new ConfigError(
    parsed.error.issues.map((issue) => {
      const variable = String(issue.path[issue.path.length - 1]);
      return `${variable}: ${issue.message} (got ${shown(variable, readPath(groups, issue.path))})`;
    }),
  );
}

/** Variables whose whole value is a secret: a refusal gives their length, never the value. */
const SECRET_VARIABLES = new Set(['LAB_SECRET_KEY', 'LAB_ADMIN_API_KEY', 'S3_SECRET_ACCESS_KEY', 'LAB_JWT_SECRET']);

/** A refused value as a refusal may print it: the message goes to terminals and log collectors. */
function shown(variable: string, value: unknown): string {
  if (typeof value !== 'string') return JSON.stringify(value);
  if (SECRET_VARIABLES.has(variable)) return `${value.length} characters; the value is not shown`;
  return JSON.stringify(redactUrlSecrets(value));
}

/**
 * Masks what a URL may hold of a secret: the password (between the user's `:` and the last `@`)
 * and query parameters such as `password=`. Works on text too broken to parse as a URL, which is
 * exactly the text a refusal prints.
 */
export function redactUrlSecrets(text: string): string {
  let redacted = text;
  const at = redacted.lastIndexOf('@');
  if (at !== -1) {
    const scheme = redacted.indexOf('//');
    const authority = scheme !== -1 && scheme < at ? scheme + 2 : 0;
    const colon = redacted.indexOf(':', authority);
    if (colon !== -1 && colon < at) redacted = `${redacted.slice(0, colon + 1)}***${redacted.slice(at)}`;
  }
  return redacted.replace(/([?&][^=&#]*(?:pass|secret|token|key)[^=&#]*=)[^&#]*/gi, '$1***');
}

/** The CLI commands, as far as configuration is concerned. */
export type Command = 'dev' | 'serve' | 'worker' | 'migrate' | 'api-key';

/**
 * What each command needs beyond the types the schema checks: the one place these rules live.
 * Throws ConfigError naming each missing variable and what to do.
 */
export function requireFor(config: Config, command: Command): Config {
  const problems: string[] = [];
  if (command !== 'dev' && !config.postgres.DATABASE_URL) {
    problems.push(`DATABASE_URL: required for \`llm-lab ${command}\`; \`llm-lab dev\` runs an embedded PostgreSQL instead`);
  }
  if ((command === 'serve' || command === 'worker') && !config.lab.LAB_SECRET_KEY) {
    problems.push('LAB_SECRET_KEY: required (32 bytes as 64 hex characters, e.g. `openssl rand -hex 32`); it encrypts model API keys at rest');
  }
  const scaledOut = (command === 'serve' || command === 'worker') && config.server.NODE_ENV === 'production' && !config.lab.LAB_ALLOW_SINGLE_PROCESS;
  if (scaledOut && !config.redis.REDIS_URL) {
    problems.push('REDIS_URL: required in production, so events and key revocations reach every process; set LAB_ALLOW_SINGLE_PROCESS=1 to run one process without it');
  }
  if (scaledOut && !config.s3.S3_BUCKET) {
    problems.push('S3_BUCKET: required in production, so every process sees the same files; set LAB_ALLOW_SINGLE_PROCESS=1 to keep files in LAB_DATA_DIR on one machine');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function readPath(value: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), value);
}

/** 32 raw bytes from 64 hex or 44 base64 characters; null when it is neither. */
export function decodeSecretKey(text: string): Buffer | null {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  const b64 = Buffer.from(text, 'base64');
  return b64.length === 32 && /^[A-Za-z0-9+/]{43}=$/.test(text) ? b64 : null;
}
