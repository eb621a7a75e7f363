import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleRouter } from '../../src/server/console.js';
import { useTestLab } from '../helpers/lab.js';

/** The router over a folder of the test's own, in front of a 404 like the lab's. */
async function serve(dir: string): Promise<{ url: string; server: Server }> {
  const app = express();
  app.use(consoleRouter(dir));
  app.use((_req, res) => void res.status(404).json({ errors: [{ message: 'not here', extensions: { code: 'NOT_FOUND' } }] }));
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A GET with a Host header of the test's choosing (fetch sends its own). */
function getWithHost(url: string, host: string): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host, accept: 'text/html' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the console router', () => {
  const built = mkdtempSync(join(tmpdir(), 'console-built-'));
  const missing = join(tmpdir(), 'console-never-built');
  let withBuild: { url: string; server: Server };
  let withoutBuild: { url: string; server: Server };

  beforeAll(async () => {
    mkdirSync(join(built, 'assets'));
    writeFileSync(join(built, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(built, 'assets', 'index-abc123.js'), 'console.log(1)');
    withBuild = await serve(built);
    withoutBuild = await serve(missing);
  });
  afterAll(() => {
    withBuild.server.close();
    withoutBuild.server.close();
    rmSync(built, { recursive: true, force: true });
  });

  it('serves index.html at / and at client routes a browser navigates to, never cached, under a strict CSP', async () => {
    for (const path of ['/', '/runs/UnVuOjEyMw']) {
      const res = await fetch(`${withBuild.url}${path}`, { headers: { accept: 'text/html,application/xhtml+xml' } });
      expect(res.status, path).toBe(200);
      expect(await res.text()).toContain('<title>console</title>');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      const csp = res.headers.get('content-security-policy');
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toContain('unsafe');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
    const { headers } = await getWithHost(`${withBuild.url}/`, 'lab.example:8080');
    expect(headers['content-security-policy']).toContain("connect-src 'self' ws://lab.example:8080 wss://lab.example:8080;");
  });

  it('caches hashed assets for a year and leaves what is not a page to the 404', async () => {
    const asset = await fetch(`${withBuild.url}/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${withBuild.url}/assets/missing.js`, { headers: { accept: 'text/html' } })).status).toBe(404);
    expect((await fetch(`${withBuild.url}/nope`)).status).toBe(404);
    expect((await fetch(`${withBuild.url}/nope`, { method: 'POST', headers: { accept: 'text/html' } })).status).toBe(404);
  });

  it('names no WebSocket source for a Host header that is not a plain host', async () => {
    const { headers } = await getWithHost(`${withBuild.url}/`, "evil; script-src 'unsafe-inline'");
    expect(headers['content-security-policy']).toContain("connect-src 'self';");
    expect(headers['content-security-policy']).not.toContain('evil');
  });

  it('says to run the build when the console was never built', async () => {
    const res = await fetch(`${withoutBuild.url}/`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]!.message).toContain('npm run build');
    expect(body.errors[0]!.extensions.code).toBe('NOT_FOUND');
  });
});

describe('the console served by a lab whose files are in S3', () => {
  const t = useTestLab('VIEWER', { blobs: 's3' });

  it('lets the browser upload to the bucket\'s origin, and to nothing else', async () => {
    const res = await fetch(`${t.lab.url}/`, { headers: { accept: 'text/html' } });
    const csp = res.headers.get('content-security-policy')!;
    const upload = (await t.lab.blobs.presignPut({ key: 'console/probe', sizeBytes: 1, contentType: 'text/plain' })).url;
    const connect = csp.split('; ').find((d) => d.startsWith('connect-src '))!;
    expect(connect.split(' ')).toContain(new URL(upload).origin);
    expect(connect.split(' ').filter((s) => s.startsWith('http'))).toEqual([new URL(upload).origin]);
  });
});
