import { pino, type Logger } from 'pino';

/**
 * The one root logger. Lines about a request are written through its context's child logger
 * (`ctx.logger`, carrying `requestId`), passed explicitly rather than found through
 * AsyncLocalStorage, whose promise hooks cost every request on Node 22.
 */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'llm-lab' } });
}
