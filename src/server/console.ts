import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { ErrorCode } from '../common/errors.js';
import { packageRoot } from '../common/package-root.js';
import { errorBody } from './errors.js';

const CONSOLE_DIR = join(packageRoot(), 'dist', 'console');

/** A Host header as a CSP source may carry it; anything else gets no WebSocket source beyond 'self'. */
const HOST = /^[\w.-]+(:\d{1,5})?$|^\[[\da-f:.]+\](:\d{1,5})?$/i;

/**
 * Scripts and styles only from the console's own files (Vite emits no inline script; React and uPlot set styles
 * through the CSSOM, which style-src does not govern), and connections only to this origin: HTTP for GraphQL and the
 * local blob store, and its WebSocket for subscriptions, named explicitly for browsers that do not read 'self' as ws.
 */
function contentSecurityPolicy(host: string | undefined, connectSources: readonly string[]): string {
  const ws = host && HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  const others = connectSources.map((source) => ` ${source}`).join('');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${ws}${others}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function securityHeaders(req: Request, res: Response, connectSources: readonly string[]): void {
  res.setHeader('Content-Security-Policy', contentSecurityPolicy(req.headers.host, connectSources));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
}

/** Browsers navigating to a client route (a shared run URL) ask for HTML; API clients and scripts asking for /nope do not. */
const wantsPage = (req: Request) => req.path === '/' || Boolean(req.headers.accept?.includes('text/html'));

const isRead = (req: Request) => req.method === 'GET' || req.method === 'HEAD';

/**
 * The browser console from dist/console at /: hashed assets cached for a year, index.html for the client's routes
 * (never cached, so a new build is picked up), every response under a strict CSP. Mounted after the API's routes;
 * whatever it does not serve goes on to the lab's 404.
 */
export function consoleRouter(dir: string = CONSOLE_DIR, options: { connectSources?: readonly string[] } = {}): Router {
  // Other origins the console sends to: the object store its presigned uploads go to, when it is not this server.
  const connectSources = options.connectSources ?? [];
  const router = express.Router();
  const index = join(dir, 'index.html');
  router.use((req: Request, res: Response, next: NextFunction) => {
    if (isRead(req)) securityHeaders(req, res, connectSources);
    next();
  });
  router.use('/assets', express.static(join(dir, 'assets'), { immutable: true, maxAge: '1y', index: false }));
  router.use(
    express.static(dir, {
      index: false,
      maxAge: '1h',
      setHeaders: (res, path) => path.endsWith('.html') && res.setHeader('Cache-Control', 'no-cache'),
    }),
  );
  router.use((req: Request, res: Response, next: NextFunction) => {
    if (!isRead(req) || req.path.startsWith('/assets/') || !wantsPage(req)) return next();
    if (!existsSync(index)) {
      res.status(404).json(errorBody(ErrorCode.NOT_FOUND, 'The console is not built: run `npm run build` (npm start does), then reload.', res.locals.requestId as string));
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}
