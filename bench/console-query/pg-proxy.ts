/**
 * A TCP proxy in front of PostgreSQL that forwards bytes unchanged and counts, from the client's
 * side of the frontend protocol, how many Parse ('P'), Bind ('B') and simple Query ('Q')
 * messages a server sends: Bind + Query is one statement executed, Parse one statement planned
 * anew (a prepared statement is parsed once per connection, then only bound).
 */
import net from 'node:net';

export interface MessageCounts {
  parse: number;
  bind: number;
  query: number;
}

/** Protocol codes of the untyped requests a client may send before its StartupMessage. */
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const [P, B, Q] = [0x50, 0x42, 0x51];

export interface PgProxy {
  port: number;
  counts: MessageCounts;
  close(): Promise<void>;
}

export async function startPgProxy(upstream: { host: string; port: number }): Promise<PgProxy> {
  const counts: MessageCounts = { parse: 0, bind: 0, query: 0 };
  const sockets = new Set<net.Socket>();

  const listener = net.createServer((client) => {
    const database = net.connect(upstream.port, upstream.host);
    sockets.add(client).add(database);
    client.setNoDelay(true);
    database.setNoDelay(true);
    const end = () => {
      client.destroy();
      database.destroy();
      sockets.delete(client);
      sockets.delete(database);
    };
    client.on('error', end).on('close', end);
    database.on('error', end).on('close', end);
    database.pipe(client);

    // Before the StartupMessage, requests are int32 length + int32 code, untyped: held back until whole.
    let startup: Buffer | null = Buffer.alloc(0);
    // After it, each message is a type byte + int32 length (counting itself); a header may span chunks.
    let header = Buffer.alloc(0);
    let skip = 0;
    client.on('data', (data: Buffer) => {
      let chunk = data;
      if (startup) {
        startup = Buffer.concat([startup, data]);
        while (startup.length >= 8 && [SSL_REQUEST, GSSENC_REQUEST].includes(startup.readInt32BE(4))) {
          // Refuse encryption ourselves, so the stream stays readable; the client goes on in clear text.
          client.write('N');
          startup = startup.subarray(8);
        }
        if (startup.length < 8) return;
        chunk = startup;
        skip = startup.readInt32BE(0);
        startup = null;
      }
      for (let offset = 0; offset < chunk.length; ) {
        if (skip > 0) {
          const n = Math.min(skip, chunk.length - offset);
          skip -= n;
          offset += n;
          continue;
        }
        let message = chunk;
        let at = offset;
        if (header.length > 0 || chunk.length - offset < 5) {
          const take = Math.min(5 - header.length, chunk.length - offset);
          header = Buffer.concat([header, chunk.subarray(offset, offset + take)]);
          offset += take;
          if (header.length < 5) break;
          [message, at, header] = [header, 0, Buffer.alloc(0)];
        } else {
          offset += 5;
        }
        const type = message[at];
        if (type === P) counts.parse++;
        else if (type === B) counts.bind++;
        else if (type === Q) counts.query++;
        skip = message.readInt32BE(at + 1) - 4;
      }
      if (!database.write(chunk)) {
        client.pause();
        database.once('drain', () => client.resume());
      }
    });
  });

  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  return {
    port: (listener.address() as net.AddressInfo).port,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        listener.close(() => resolve());
      }),
  };
}
