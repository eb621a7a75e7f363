import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactUrlSecrets, requireFor } from '../src/config.js';

describe('config', () => {
  it('has defaults for a bare environment, empty strings counting as unset', () => {
    const config = loadConfig({ PORT: '', DATABASE_URL: '' });
    expect(config.server.PORT).toBe(4000);
    expect(config.postgres.DATABASE_URL).toBeUndefined();
    expect(config.lab.LAB_DATA_DIR).toBe('./.lab');
    expect(config.server.NODE_ENV).toBe('development');
  });

  it('reads the rate limits: defaults per kind of root field, per-field exceptions as field=perMinute pairs', () => {
    expect(loadConfig({}).limits).toEqual({
      LAB_RATE_LIMIT_QUERIES_PER_MINUTE: 600,
      LAB_RATE_LIMIT_MUTATIONS_PER_MINUTE: 120,
      LAB_RATE_LIMIT_SUBSCRIPTIONS_PER_MINUTE: 120,
      LAB_SHED_MAX_IN_FLIGHT: 512,
      LAB_SHED_MAX_EVENT_LOOP_LAG_MS: 1000,
      LAB_RATE_LIMIT_FIELDS: { startRun: 60, retryRun: 60, createApiKey: 10 },
    });
    const config = loadConfig({ LAB_RATE_LIMIT_QUERIES_PER_MINUTE: '0', LAB_RATE_LIMIT_FIELDS: ' startRun = 5 ,run=1000' });
    expect(config.limits.LAB_RATE_LIMIT_QUERIES_PER_MINUTE).toBe(0);
    expect(config.limits.LAB_RATE_LIMIT_FIELDS).toEqual({ startRun: 5, run: 1000 });
    expect(() => loadConfig({ LAB_RATE_LIMIT_FIELDS: 'startRun:5' })).toThrow(
      'LAB_RATE_LIMIT_FIELDS: must be field=perMinute pairs separated by commas, e.g. startRun=60,createApiKey=10',
    );
  });

  it('accepts tokens only with an issuer and an audience, one way of checking signatures, and never shows the secret', () => {
    expect(() => loadConfig({ LAB_JWT_SECRET: 'x'.repeat(40) })).toThrow(/LAB_JWT_ISSUER: must be set[\s\S]*LAB_JWT_AUDIENCE: must be set/);
    expect(() => loadConfig({ LAB_JWT_SECRET: 'x'.repeat(40), LAB_JWT_JWKS_URL: 'https://idp.test/jwks', LAB_JWT_ISSUER: 'i', LAB_JWT_AUDIENCE: 'a' })).toThrow(
      'LAB_JWT_SECRET: set either it or LAB_JWT_JWKS_URL, not both',
    );
    expect(() => loadConfig({ LAB_JWT_SECRET: 'tooShortSecret' })).toThrow('LAB_JWT_SECRET: must be at least 32 characters (e.g. `openssl rand -hex 32`) (got 14 characters; the value is not shown)');
    const config = loadConfig({ LAB_JWT_JWKS_URL: 'https://idp.test/jwks', LAB_JWT_ISSUER: 'https://idp.test', LAB_JWT_AUDIENCE: 'lab' });
    expect(config.jwt).toMatchObject({ LAB_JWT_PROJECT_CLAIM: 'lab_project', LAB_JWT_ROLE_CLAIM: 'lab_role' });
  });

  it('names every bad variable and what it must be', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'localhost:5432', LOG_LEVEL: 'loud', LAB_SECRET_KEY: 'short' });
      expect.unreachable('loadConfig accepted a bad environment');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const message = (err as ConfigError).message;
      expect(message).toContain('PORT: must be a whole number');
      expect(message).toContain('DATABASE_URL: must be a URL');
      expect(message).toContain('LOG_LEVEL:');
      expect(message).toContain('LAB_SECRET_KEY: must be 32 bytes');
      expect((err as ConfigError).problems).toHaveLength(4);
    }
  });

  it('never echoes a secret: passwords in URLs are masked, secret variables are not shown at all', () => {
    const env = {
      DATABASE_URL: 'mysql://user:S3cretPass@db/lab',
      REDIS_URL: 'http://:R3disPass@redis:6379',
      CLICKHOUSE_URL: 'clickhouse://default:Cl1ckPass@ch:8123',
      S3_ENDPOINT: 'ftp://minio:M1nioPass@minio:9000?secret=Qu3ryPass',
      LAB_SECRET_KEY: 'S3cretKeyButTooShort',
      LAB_ADMIN_API_KEY: 'Adm1nKey',
    };
    let problems: string[] = [];
    try {
      loadConfig(env);
      expect.unreachable('loadConfig accepted a bad environment');
    } catch (err) {
      problems = (err as ConfigError).problems;
      const message = (err as ConfigError).message;
      for (const secret of ['S3cretPass', 'R3disPass', 'Cl1ckPass', 'M1nioPass', 'Qu3ryPass', 'S3cretKeyButTooShort', 'Adm1nKey']) {
        expect(message).not.toContain(secret);
      }
    }
    // What helps to fix the value stays: the scheme, the user and the host.
    expect(problems).toContainEqual(expect.stringMatching(/^DATABASE_URL: must be a URL .*\(got "mysql:\/\/user:\*\*\*@db\/lab"\)$/));
    expect(problems).toContainEqual(expect.stringMatching(/^LAB_SECRET_KEY: must be 32 bytes .*\(got 20 characters; the value is not shown\)$/));
    expect(problems).toContainEqual(expect.stringMatching(/^LAB_ADMIN_API_KEY: must be at least 24 characters.*\(got 8 characters; the value is not shown\)$/));
    expect(problems).toHaveLength(6);
  });

  it('masks a password even in a URL too broken to parse', () => {
    try {
      loadConfig({ DATABASE_URL: 'postgres//admin:Br0ken/Pass@db:5432/lab', REDIS_URL: 'rediss//cache?password=T0kenPass&db=2' });
      expect.unreachable('loadConfig accepted a bad environment');
    } catch (err) {
      const message = (err as ConfigError).message;
      expect(message).not.toContain('Br0ken');
      expect(message).not.toContain('T0kenPass');
      expect(message).toContain('admin:***@db:5432/lab');
      expect(message).toContain('password=***&db=2');
    }
  });

  it('masks the password of a URL printed elsewhere (the dev banner prints the embedded database URL)', () => {
    expect(redactUrlSecrets('postgres://lab:n_5Ed4Tozw-WSV381f@127.0.0.1:5433/lab')).toBe('postgres://lab:***@127.0.0.1:5433/lab');
    expect(redactUrlSecrets('postgres://127.0.0.1:5433/lab')).toBe('postgres://127.0.0.1:5433/lab');
    expect(redactUrlSecrets('postgres://lab@db/lab?sslpassword=x&application_name=lab')).toBe('postgres://lab@db/lab?sslpassword=***&application_name=lab');
  });

  it('needs S3_BUCKET with S3_ENDPOINT', () => {
    expect(() => loadConfig({ S3_ENDPOINT: 'http://127.0.0.1:9000' })).toThrow('S3_BUCKET: must be set');
  });

  it('refuses to serve or work in production without what scaling out needs, naming each variable', () => {
    const base = { NODE_ENV: 'production', DATABASE_URL: 'postgres://db/lab', LAB_SECRET_KEY: 'a'.repeat(64) };
    for (const command of ['serve', 'worker'] as const) {
      const problems = (() => {
        try {
          requireFor(loadConfig(base), command);
          return [];
        } catch (err) {
          return (err as ConfigError).problems;
        }
      })();
      expect(problems.map((p) => p.split(':')[0])).toEqual(['REDIS_URL', 'S3_BUCKET']);
      expect(problems[0]).toContain('LAB_ALLOW_SINGLE_PROCESS=1');
    }
    const scaled = { ...base, REDIS_URL: 'redis://redis:6379', S3_BUCKET: 'lab' };
    expect(() => requireFor(loadConfig(scaled), 'serve')).not.toThrow();
    expect(() => requireFor(loadConfig({ ...base, LAB_ALLOW_SINGLE_PROCESS: '1' }), 'worker')).not.toThrow();
    // Development, and the commands that do not serve, need neither.
    expect(() => requireFor(loadConfig({ ...base, NODE_ENV: 'development' }), 'serve')).not.toThrow();
    expect(() => requireFor(loadConfig(base), 'migrate')).not.toThrow();
  });

  it('names what each command needs: DATABASE_URL beyond dev, LAB_SECRET_KEY to serve and work', () => {
    expect(() => requireFor(loadConfig({}), 'dev')).not.toThrow();
    expect(() => requireFor(loadConfig({}), 'migrate')).toThrow('DATABASE_URL: required for `llm-lab migrate`');
    expect(() => requireFor(loadConfig({ DATABASE_URL: 'postgres://db/lab' }), 'api-key')).not.toThrow();
    expect(() => requireFor(loadConfig({ DATABASE_URL: 'postgres://db/lab' }), 'serve')).toThrow('LAB_SECRET_KEY: required');
  });
});
