import { describe, expect, it, vi } from 'vitest';
import { createLabServer } from '../../src/server/app.js';
import { useTestLab } from '../helpers/lab.js';

describe('a port taken at the moment of listen', () => {
  const t = useTestLab('ADMIN');

  // runtime.ts checks the port first; this is the port taken between that check and listen().
  it('rejects listen() with EADDRINUSE and prints nothing: no unhandled or re-emitted error event', async () => {
    const second = await createLabServer(t.lab.core, { production: false });
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    const printed = vi.spyOn(console, 'error');
    try {
      const port = Number(new URL(t.lab.url).port);
      const error = await second.listen(port, '127.0.0.1').then(() => null, (err: NodeJS.ErrnoException) => err);
      expect(error?.code).toBe('EADDRINUSE');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(uncaught).toEqual([]);
      expect(printed).not.toHaveBeenCalled();
    } finally {
      printed.mockRestore();
      process.off('uncaughtException', onUncaught);
      await second.stop();
    }
    // The first server still answers.
    expect((await fetch(`${t.lab.url}/healthz`)).status).toBe(200);
  });
});
