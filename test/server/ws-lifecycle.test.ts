/** The life of a graphql-ws connection at the edges: keep-alive pings, and what a client is told when the server stops. */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestLab } from '../helpers/lab.js';

/** A raw graphql-ws connection, acknowledged; `autoPong: false` makes a peer that never answers pings. */
async function connect(url: string, key: string, autoPong: boolean): Promise<{ socket: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const socket = new WebSocket(url, 'graphql-transport-ws', { autoPong });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const acked = new Promise((resolve) => socket.once('message', resolve));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } }));
  expect(JSON.parse(String(await acked))).toEqual({ type: 'connection_ack' });
  return { socket, closed };
}

describe('graphql-ws connections', () => {
  it('pings every socket: one that never answers is closed, one that answers stays', async () => {
    const lab = await startTestLab({ wsKeepAliveMs: 150 });
    try {
      const { key } = await lab.newProject('VIEWER');
      const silent = await connect(lab.wsUrl, key, false);
      const live = await connect(lab.wsUrl, key, true);
      let pings = 0;
      live.socket.on('ping', () => pings++);
      const started = Date.now();
      const { code } = await silent.closed;
      // Terminated (no close frame: 1006) after a ping and its wait, not before.
      expect(code).toBe(1006);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      await new Promise((r) => setTimeout(r, 400));
      expect(pings).toBeGreaterThanOrEqual(2);
      expect(live.socket.readyState).toBe(WebSocket.OPEN);
      live.socket.close();
    } finally {
      await lab.close();
    }
  });

  it('closes sockets with 1001 (going away) when the server stops, a code graphql-ws clients reconnect on', async () => {
    const lab = await startTestLab();
    const { key } = await lab.newProject('VIEWER');
    const { closed } = await connect(lab.wsUrl, key, true);
    await lab.close();
    expect(await closed).toEqual({ code: 1001, reason: 'Going away' });
  });

  it('closes with 1013 (try again later), not 4401, when the key cannot be checked for a reason not the client\'s', async () => {
    const lab = await startTestLab();
    try {
      const { key } = await lab.newProject('VIEWER');
      const authenticate = lab.services.auth.authenticate;
      lab.services.auth.authenticate = async () => {
        throw new Error('the database is unreachable');
      };
      const socket = new WebSocket(lab.wsUrl, 'graphql-transport-ws');
      const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } }));
      expect(await closed).toEqual({ code: 1013, reason: 'The server could not check the key now; try again.' });
      lab.services.auth.authenticate = authenticate;
    } finally {
      await lab.close();
    }
  });
});
