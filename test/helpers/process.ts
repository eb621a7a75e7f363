import type { ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';

/** Polls `probe` until it gives a value; fails with the process's output if it exits first or time runs out. */
export async function waitForProcess<T>(what: string, child: ChildProcess, probe: () => T | undefined, log: () => string, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (child.exitCode !== null) throw new Error(`llm-lab exited (${child.exitCode}) before ${what}; output:\n${log()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A port nothing listens on now (the OS picks it), for a process the test starts. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
