import { Writable } from 'node:stream';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/modules/auth/api-keys.js';
import { AuthRepo } from '../../src/modules/auth/auth.repo.js';
import { createLogger } from '../../src/observability/logger.js';
import { useTestLab } from '../helpers/lab.js';

/** The root logger as the CLI builds it, writing its lines to memory. */
function capturedLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger('info', stream), text: () => lines.join('\n'), lines };
}

describe('log lines of a failed SQL statement', () => {
  const t = useTestLab('ADMIN');

  /** The error of an insert that repeats an existing key's hash: drizzle wraps postgres.js's error, both carry the values. */
  async function failedInsert() {
    const { secret } = await t.lab.services.auth.createKey(t.project.projectId, 'first', 'ADMIN');
    const keyHash = hashApiKey(secret);
    const error = await new AuthRepo(t.lab.database.db)
      .insert({ projectId: t.project.projectId, name: 'second', role: 'ADMIN', prefix: 'lab_xxxx', keyHash })
      .then(() => null, (err: unknown) => err as Error);
    expect(error).toBeInstanceOf(Error);
    // The values are there to leak: in drizzle's message and params, in the driver's error and its detail.
    expect(`${error!.message} ${JSON.stringify((error as { params?: unknown }).params)} ${JSON.stringify((error!.cause as { detail?: string }).detail)}`).toContain(keyHash);
    return { error: error!, keyHash, secret };
  }

  it('keep the statement and the database error, and drop every value the statement carried', async () => {
    const { error, keyHash, secret } = await failedInsert();
    const { logger, text, lines } = capturedLogger();
    logger.error({ err: error }, 'unexpected error in request');
    logger.child({ requestId: 'r-1' }).error({ err: error }, 'unexpected error in request');
    logger.error(error);
    // As the GraphQL error formatter and graphql-ws see it: the database error wrapped once more.
    logger.error({ err: new GraphQLError('Unexpected error.', { originalError: error }) }, 'wrapped');

    // The driver's own error, as a job that runs SQL without drizzle would log it.
    logger.warn({ err: error.cause }, 'driver error');

    // Only the message, copied off the error (as a line written after the response started does).
    logger.error({ err: { message: error.message } }, 'error after the response started');

    expect(lines).toHaveLength(6);
    expect(text()).not.toContain(keyHash);
    expect(text()).not.toContain(secret);
    const line = JSON.parse(lines[0]!) as { err: Record<string, unknown> };
    expect(line.err.message).toContain('insert into "api_keys"');
    expect(line.err.message).toContain('duplicate key value violates unique constraint');
    expect(line.err).not.toHaveProperty('params');
    expect(line.err.stack).toContain('insert into "api_keys"');
    expect((JSON.parse(lines[4]!) as { err: { detail: string } }).err.detail).toMatch(/^Key \(key_hash\)=\(\[not logged\]\) already exists/);
  });

  it('redacts secrets logged by name: API keys, secrets, passwords, authorization headers and connection params', () => {
    const { logger, text } = capturedLogger();
    logger.info(
      {
        apiKey: 'sk-top-level-1',
        model: { apiKey: 'sk-nested-2', name: 'kept' },
        secret: 'lab_top-level-3',
        headers: { authorization: 'Bearer lab_header-4', 'content-type': 'application/json' },
        req: { headers: { authorization: 'Bearer lab_request-5', cookie: 'session=cookie-6' } },
        connectionParams: { authorization: 'Bearer lab_ws-7' },
        password: 'password-8',
        config: { S3_SECRET_ACCESS_KEY: 'S3-secret-9', LAB_SECRET_KEY: 'lab-secret-10' },
      },
      'a line with secrets in it',
    );
    for (const secret of ['sk-top-level-1', 'sk-nested-2', 'lab_top-level-3', 'lab_header-4', 'lab_request-5', 'cookie-6', 'lab_ws-7', 'password-8', 'S3-secret-9', 'lab-secret-10']) {
      expect(text()).not.toContain(secret);
    }
    expect(text()).toContain('"name":"kept"');
    expect(text()).toContain('application/json');
  });
});
