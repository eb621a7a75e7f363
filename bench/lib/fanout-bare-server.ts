/**
 * The limit for bench/fanout.ts: a plain `ws` WebSocketServer that speaks just enough of the
 * graphql-transport-ws protocol for graphql-ws clients (connection_ack, then `next` frames and
 * `complete` for their one subscription) and broadcasts frames the lab sent, captured by one of
 * its clients: the same bytes, each frame built once and sent to every socket. No GraphQL, no
 * pub/sub, no database.
 *
 *   FANOUT_FRAMES=<file> FANOUT_SUBSCRIBERS=<n> FANOUT_PACE=max|schedule node --import tsx bench/lib/fanout-bare-server.ts
 *
 * The first frame (the run's stored QUEUED event) goes to each client as it subscribes, as the
 * lab's replay does. Once all have subscribed it prints {"ready":true}; on a line on stdin it sends
 * the other frames, each with finishedAt (when the frame has one) set to the moment it is sent, so
 * that clients time it as they time the lab. `max`: as fast as the sockets take them (waiting while
 * any socket holds more than 64 KB unsent); `schedule`: at the moments the lab's client received
 * them. Then `complete`, and {"sent":...} on stdout.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer, type WebSocket } from 'ws';

const frames = JSON.parse(readFileSync(process.env.FANOUT_FRAMES!, 'utf8')) as { frame: string; atMs: number }[];
const subscribers = Number(process.env.FANOUT_SUBSCRIBERS);
const pace = process.env.FANOUT_PACE === 'schedule' ? 'schedule' : 'max';
const HIGH_WATER_BYTES = 64 * 1024;

const FINISHED_AT = /"finishedAt":"[^"]+"/;
/** A frame as bytes, with finishedAt (if any) set to now: the same length, so the same bytes but for the time. */
const stamped = (frame: string) => Buffer.from(FINISHED_AT.test(frame) ? frame.replace(FINISHED_AT, `"finishedAt":"${new Date().toISOString()}"`) : frame);

const subscribed: WebSocket[] = [];
let announced = false;
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (protocols) => (protocols.has('graphql-transport-ws') ? 'graphql-transport-ws' : false) });
wss.on('connection', (socket) => {
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { type: string; id?: string };
    if (message.type === 'connection_init') socket.send('{"type":"connection_ack"}');
    else if (message.type === 'ping') socket.send('{"type":"pong"}');
    else if (message.type === 'subscribe') {
      socket.send(stamped(frames[0]!.frame), { binary: false });
      subscribed.push(socket);
      if (subscribed.length === subscribers && !announced) {
        announced = true;
        process.stdout.write('{"ready":true}\n');
      }
    }
  });
});
await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
const { port } = wss.address() as { port: number };
process.stdout.write(`${JSON.stringify({ url: `ws://127.0.0.1:${port}/graphql` })}\n`);

const go = new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
await go;
const started = performance.now();
const origin = frames[1]?.atMs ?? 0;
let waits = 0;
for (let k = 1; k < frames.length; k++) {
  if (pace === 'schedule') {
    const due = started + frames[k]!.atMs - origin;
    const early = due - performance.now();
    if (early > 1) await sleep(early);
  }
  const bytes = stamped(frames[k]!.frame);
  for (const socket of subscribed) socket.send(bytes, { binary: false });
  if (pace === 'max') {
    while (subscribed.some((s) => s.bufferedAmount > HIGH_WATER_BYTES)) {
      waits++;
      await sleep(1);
    }
    // Lets the loop read what clients send meanwhile (pings), as a server would.
    if (k % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}
const complete = Buffer.from('{"id":"1","type":"complete"}');
for (const socket of subscribed) socket.send(complete, { binary: false });
process.stdout.write(`${JSON.stringify({ sent: frames.length - 1, seconds: Number(((performance.now() - started) / 1000).toFixed(3)), highWaterWaits: waits })}\n`);
process.once('SIGTERM', () => {
  for (const socket of subscribed) socket.terminate();
  wss.close(() => process.exit(0));
});
