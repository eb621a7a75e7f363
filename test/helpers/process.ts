import type { ChildProcess } from 'node:child_process';

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
