/**
 * The API's clients (`llm-lab run ...`) do not load the server, nor drizzle's schema: they take
 * seconds to load (bench/cli-startup.ts measures it), and the client commands need none of them.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;
const RECORD = new URL('../helpers/record-modules.mjs', import.meta.url).pathname;

async function modulesLoadedBy(args: string[]): Promise<string[]> {
  const dir = await mkdtemp(join(os.tmpdir(), 'llm-lab-modules-'));
  try {
    const file = join(dir, 'modules.txt');
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', RECORD, MAIN, ...args], { stdio: 'ignore', env: { ...process.env, RECORD_MODULES: file } });
    const [code] = (await once(child, 'close')) as [number];
    expect(code).toBe(0);
    return (await readFile(file, 'utf8')).split('\n').filter(Boolean);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('llm-lab run commands', () => {
  it.each([['run', 'watch', '--help'], ['run', 'compare', '--help']])('%s %s %s loads the client, not the server', async (...args) => {
    const modules = await modulesLoadedBy(args);
    // Seen, so the list is complete up to the command's own module (the server would come before it).
    expect(modules).toContain('src/cli/run-commands.ts');
    expect(modules).toContain('src/cli/lab-client.ts');
    for (const server of ['src/app/runtime.ts', 'src/app/api-key.ts', 'src/storage/postgres.ts', 'src/server/app.ts', 'src/app/metric-store.ts', 'src/db/schema.ts']) {
      expect(modules, `${server} was loaded`).not.toContain(server);
    }
  });
});
