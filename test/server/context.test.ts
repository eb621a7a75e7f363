import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { Lab } from '../../src/app/lab.js';
import type { Viewer } from '../../src/modules/auth/viewer.js';
import { contextFactory } from '../../src/server/context.js';

describe('request context', () => {
  it('makes the child logger when something first logs, once, carrying the request id and subject', () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const child = vi.spyOn(logger, 'child');
    let loaderSets = 0;
    const lab = { parts: { logger, pubsub: {} }, services: {}, nodes: new Map(), createLoaders: () => ({ set: ++loaderSets }) } as unknown as Lab;
    const viewer = { projectId: 'p1', subject: 'key:k1' } as Viewer;
    const context = contextFactory(lab)(viewer, 'req-1');
    expect(child).not.toHaveBeenCalled();
    expect(context.loaders).toEqual({ set: 1 });
    context.logger.info('first');
    context.logger.warn('second');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toMatchObject([
      { msg: 'first', requestId: 'req-1', subject: 'key:k1' },
      { msg: 'second', requestId: 'req-1', subject: 'key:k1' },
    ]);
    context.resetLoaders();
    expect(context.loaders).toEqual({ set: 2 });
    expect(contextFactory(lab)(viewer, 'req-2').requestId).toBe('req-2');
  });
});
