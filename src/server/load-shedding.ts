import type { ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../config.js';
import { ErrorCode } from '../common/errors.js';
import { limitRefusals } from '../observability/metrics.js';
import { errorBody } from './errors.js';

/** When a process stops taking new HTTP requests; 0 turns a bound off. */
export interface SheddingSettings {
  maxInFlight: number;
  maxEventLoopLagMs: number;
}

export function sheddingSettings(limits: Config['limits']): SheddingSettings {
  return { maxInFlight: limits.LAB_SHED_MAX_IN_FLIGHT, maxEventLoopLagMs: limits.LAB_SHED_MAX_EVENT_LOOP_LAG_MS };
}

const TICK_MS = 50;
const RETRY_AFTER_SECONDS = 1;

export interface LoadShedder {
  /** Express middleware: 503 OVERLOADED with Retry-After for a new request past a bound; otherwise counts it in flight until it ends. */
  middleware(req: Request, res: Response, next: NextFunction): void;
  /** Counts a request admitted elsewhere (the direct GraphQL path) in flight until its response closes. */
  admit(res: ServerResponse): void;
  /** Whether new requests are refused now (/readyz says not ready, so the load balancer backs off). */
  shedding(): boolean;
  stop(): void;
}

/**
 * Load shedding by two signals: requests in flight, and event-loop lag measured as the lateness of a
 * 50 ms timer (a loop busy with more work than it can do answers everything late; refusing at once
 * costs little and lets it catch up). Written by hand: the bounds are two numbers, and the middleware
 * must sit behind the health checks and leave WebSocket upgrades (open subscriptions) alone.
 */
export function createLoadShedder(settings: SheddingSettings): LoadShedder {
  let inFlight = 0;
  let lagMs = 0;
  let last = performance.now();
  const timer =
    settings.maxEventLoopLagMs > 0
      ? setInterval(() => {
          const now = performance.now();
          lagMs = Math.max(0, now - last - TICK_MS);
          last = now;
        }, TICK_MS).unref()
      : null;
  const shedding = () => (settings.maxInFlight > 0 && inFlight >= settings.maxInFlight) || (settings.maxEventLoopLagMs > 0 && lagMs > settings.maxEventLoopLagMs);
  const admit = (res: ServerResponse) => {
    inFlight++;
    res.once('close', () => inFlight--);
  };
  return {
    middleware(_req, res, next) {
      if (shedding()) {
        limitRefusals.inc({ limit: 'load' });
        res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
        res.setHeader('Connection', 'close');
        res.status(503).json(
          errorBody(ErrorCode.OVERLOADED, `The server is overloaded and refused this request before reading it; retry in ${RETRY_AFTER_SECONDS} s (another instance may answer at once).`, res.locals.requestId as string),
        );
        return;
      }
      admit(res);
      next();
    },
    admit,
    shedding,
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
