import { GraphQLError } from 'graphql';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { badInput, notFound } from '../../src/common/errors.js';
import { createErrorFormatter } from '../../src/server/errors.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { lines, logger, format: createErrorFormatter(logger) };
}

const asResolverError = (original: Error) => new GraphQLError(original.message, { originalError: original, path: ['field'] });

describe('error formatting', () => {
  it('masks an unexpected error and logs it with the request id', () => {
    const { lines, logger, format } = capture();
    const error = asResolverError(new Error('connection to 10.0.0.5 refused: password=hunter2'));
    const shown = format(error.toJSON(), error, { requestId: 'req-42', logger: logger.child({ requestId: 'req-42' }) });
    expect(shown.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: 'req-42' });
    expect(shown.message).toContain('req-42');
    expect(JSON.stringify(shown)).not.toContain('hunter2');
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines[0])).toContain('hunter2');
    expect(lines[0]).toMatchObject({ requestId: 'req-42' });
  });

  it('keeps client errors with their code and extra fields, without http details', () => {
    const { lines, format } = capture();
    for (const original of [badInput('first: too big', 'first'), notFound('Experiment', 'abc')]) {
      const error = asResolverError(original);
      const shown = format(error.toJSON(), error);
      expect(shown.message).toBe(original.message);
      expect(shown.extensions?.code).toBe(original.code);
      expect(shown.extensions).not.toHaveProperty('http');
    }
    expect(lines).toHaveLength(0);
  });
});
