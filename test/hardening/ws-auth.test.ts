import { describe, expect, it } from 'vitest';
import { graphqlError, httpClient, subscribe, useTestLab, wsClient } from '../helpers/lab.js';
import { ExperimentUpdated, ViewerQuery } from '../helpers/operations.js';

describe('a connection without an API key', () => {
  const t = useTestLab('VIEWER');

  it('is told over WebSocket, in the 4401 close reason, to pass the key in connectionParams, in a reason that is not cut short', async () => {
    const client = wsClient(t.lab.wsUrl);
    try {
      const closed = await subscribe(client, ExperimentUpdated, { id: 'x' })
        .next()
        .then(
          () => null,
          (event: { code: number; reason: string }) => event,
        );
      expect(closed?.code).toBe(4401);
      expect(closed?.reason).toContain('connectionParams.authorization = "Bearer <key>"');
      expect(closed?.reason).not.toMatch(/send the header/i);
      expect(closed?.reason).toMatch(/\.$/);
    } finally {
      await client.dispose();
    }
  });

  it('is still told over HTTP which header to send', async () => {
    const error = await graphqlError(httpClient(t.lab.graphqlUrl).request(ViewerQuery));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.message).toContain('"Authorization: Bearer <key>"');
  });
});
