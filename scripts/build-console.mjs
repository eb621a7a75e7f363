#!/usr/bin/env node
// Builds the console (console/ -> dist/console) with Vite, unless nothing it is built from changed
// since the last build: `npm start` builds on every start, and a restart must stay seconds.
// `--force` builds regardless.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, 'dist', 'console');
const stampFile = join(outDir, '.build-stamp');

/** Every file of console/ (sources, config, generated types) and the lockfile: what the bundle is made of. */
function inputs() {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk(join(root, 'console'));
  files.push(join(root, 'package-lock.json'));
  return files.sort();
}

function fingerprint() {
  const hash = createHash('sha256');
  for (const file of inputs()) hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

const stamp = fingerprint();
const force = process.argv.includes('--force');
if (!force && existsSync(join(outDir, 'index.html')) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
  console.error('console: up to date (dist/console)');
} else {
  const { build } = await import('vite');
  await build({ configFile: join(root, 'console', 'vite.config.ts'), logLevel: 'warn' });
  writeFileSync(stampFile, stamp);
  console.error('console: built into dist/console');
}
