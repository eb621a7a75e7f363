import type { Duplex } from 'node:stream';
import { createSourceEventStream, execute, getOperationAST, Kind, visit, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { WebSocket } from 'ws';
import { offersLiveTaker, TAKE_LIVE } from '../common/live-stream.js';

/**
 * Where one graphql-ws operation's results go when they are written straight to its socket rather
 * than handed back to graphql-ws one promise at a time (see `sharedSubscribe`).
 */
export interface OperationSink {
  /** The operation's socket, and the network socket under it (corked while frames pile up). */
  socket: WebSocket;
  raw: Duplex;
  /** The operation id the client chose. */
  id: string;
  /** A result with errors as this operation's client may see it (masked, with its request id). */
  shown(result: ExecutionResult): unknown;
  /** Called once per result sent (a metric). */
  sent(): void;
}

/** Bytes a subscriber's socket may hold unsent before its stream stops being read until the socket drains. */
export const SOCKET_HIGH_WATER = 64 * 1024;

/**
 * graphql-ws's `subscribe`, executing each event once per operation instead of once per
 * subscriber: pub/sub parses a message once per process and hands the same object to every
 * subscriber, so results are kept per event object (a WeakMap: they go when the event does) and
 * per `keyOf(args)`: subscribers with the same key (operation text, variables, project and role)
 * get the same result object, serialised once. A null key executes as graphql's own `subscribe`
 * does.
 *
 * With a sink (`sinkOf(args)`), each result is written to the operation's socket as soon as it is
 * made, as the frame graphql-ws would send, and frames written in one turn of the event loop leave
 * in one write per socket (`corkUntilNextTurn`). graphql-ws then holds an iterator that yields
 * nothing and settles when the stream ends: done (graphql-ws sends `complete`) or an error
 * (graphql-ws sends `error`, after every frame written before it). A socket holding more than
 * SOCKET_HIGH_WATER bytes unsent stops the reading of its stream until it drains, so a subscriber
 * that does not read falls behind in its stream's own bound (run events: MAX_EVENTS_BEHIND).
 * A stream that offers the fast lane of src/common/live-stream.ts (run events do) hands its live
 * events over in the publisher's call, and those whose result is made already are written at once:
 * a delivery then costs no promise, only a map lookup, a string and a socket write.
 */
export function sharedSubscribe(keyOf: (args: ExecutionArgs) => string | null, sinkOf: (args: ExecutionArgs) => OperationSink | null = () => null) {
  const results = new WeakMap<object, Map<string, ExecutionResult | Promise<ExecutionResult>>>();
  return async (args: ExecutionArgs): Promise<AsyncIterable<ExecutionResult> | ExecutionResult> => {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source;
    const key = keyOf(args);
    const run = (payload: unknown) => execute({ ...args, rootValue: payload }) as ExecutionResult | Promise<ExecutionResult>;
    const resultOf = (payload: unknown) => {
      if (key === null || typeof payload !== 'object' || payload === null) return run(payload);
      let byKey = results.get(payload);
      if (!byKey) results.set(payload, (byKey = new Map()));
      let result = byKey.get(key);
      if (result === undefined) byKey.set(key, (result = run(payload)));
      return result;
    };
    const iterator = source[Symbol.asyncIterator]();
    const sink = sinkOf(args);
    if (sink) return pumpInto(sink, iterator, resultOf, key !== null);
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next() {
        const item = await iterator.next();
        return item.done ? item : { done: false, value: await resultOf(item.value) };
      },
      async return() {
        await iterator.return?.();
        return { done: true, value: undefined };
      },
      async throw(err: unknown) {
        await iterator.return?.();
        throw err;
      },
    } as AsyncGenerator<ExecutionResult>;
  };
}

/**
 * What a subscription's per-event results depend on, as the key `sharedSubscribe` shares them
 * under: `scope` (project and role), the operation's name and text, and its variables except those
 * that only choose the stream. Those are the variables used nowhere but in the arguments of a root
 * subscription field whose extensions say `eventIgnoresArgs` (runProgress's runId and
 * afterSequence: which run, from where; an event looks the same to every subscriber of it), so the
 * console's viewers of one run, each resuming from its own sequence, share each event's execution.
 */
export function operationKey(
  schema: GraphQLSchema,
  /** The operation's text, and the document parsed from it. */
  text: string,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  scope: readonly unknown[],
): string {
  const streamOnly = streamOnlyVariables(schema, document, operationName);
  const kept = variables && streamOnly.size > 0 ? Object.fromEntries(Object.entries(variables).filter(([name]) => !streamOnly.has(name))) : (variables ?? null);
  return JSON.stringify([...scope, operationName ?? null, text, kept]);
}

/** The variables of the operation used only in the arguments of root subscription fields marked `eventIgnoresArgs`. */
export function streamOnlyVariables(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): Set<string> {
  const operation = getOperationAST(document, operationName);
  const fields = schema.getSubscriptionType()?.getFields();
  const inStreamArgs = new Map<string, number>();
  if (!operation || operation.operation !== 'subscription' || !fields) return new Set();
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || !fields[selection.name.value]?.extensions?.eventIgnoresArgs) continue;
    for (const argument of selection.arguments ?? []) {
      visit(argument, { Variable: (node) => void inStreamArgs.set(node.name.value, (inStreamArgs.get(node.name.value) ?? 0) + 1) });
    }
  }
  if (inStreamArgs.size === 0) return new Set();
  // Every use in the document (a variable defined by another operation counts too: fewer shared, never wrong).
  const uses = new Map<string, number>();
  visit(document, {
    VariableDefinition: () => false,
    Variable: (node) => void uses.set(node.name.value, (uses.get(node.name.value) ?? 0) + 1),
  });
  return new Set([...inStreamArgs].filter(([name, count]) => uses.get(name) === count).map(([name]) => name));
}

/** A result's JSON, made once however many subscribers it is written to. */
const jsonOfResult = new WeakMap<ExecutionResult, string>();

/**
 * Reads `iterator` and writes each result to the sink's socket; returns the iterator graphql-ws
 * holds: its first `next()` settles when the stream ends, `return()` (the client completed, or
 * closed its socket) stops the reading.
 */
function pumpInto(
  sink: OperationSink,
  iterator: AsyncIterator<unknown>,
  resultOf: (payload: unknown) => ExecutionResult | Promise<ExecutionResult>,
  /** Results are kept per event: one made for the fast lane and refused there (not ready) is not made again. */
  shared: boolean,
): AsyncGenerator<ExecutionResult> {
  const prefix = `{"id":${JSON.stringify(sink.id)},"type":"next","payload":`;
  // Aborted when graphql-ws stops the operation (the client completed, or its socket closed).
  const stopping = new AbortController();
  const stopped = new Promise<void>((resolve) => stopping.signal.addEventListener('abort', () => resolve(), { once: true }));
  const open = () => !stopping.signal.aborted && sink.socket.readyState === sink.socket.OPEN;
  const write = (result: ExecutionResult) => {
    let json: string;
    if (result.errors) json = JSON.stringify(sink.shown(result));
    else if ((json = jsonOfResult.get(result)!) === undefined) jsonOfResult.set(result, (json = JSON.stringify(result)));
    corkUntilNextTurn(sink.raw);
    sink.socket.send(`${prefix}${json}}`);
    sink.sent();
  };
  // Live items whose result is made already (shared: the first subscriber of an operation makes it) go straight out.
  if (shared && offersLiveTaker(iterator)) {
    iterator[TAKE_LIVE]((item) => {
      if (!open() || sink.raw.writableLength > SOCKET_HIGH_WATER) return false;
      // In the publisher's call: whatever goes wrong here must not stop the delivery to the other subscribers.
      try {
        const made = resultOf(item);
        if (made instanceof Promise) return false;
        write(made);
        return true;
      } catch {
        return false;
      }
    });
  }
  const pump = (async (): Promise<IteratorResult<ExecutionResult>> => {
    let ended = false;
    try {
      for (;;) {
        const item = await iterator.next();
        if (item.done) ended = true;
        if (item.done || stopping.signal.aborted) break;
        const made = resultOf(item.value);
        const result = made instanceof Promise ? await made : made;
        // Closing: ws says so before its close event, on which graphql-ws would have stopped the operation.
        if (!open()) break;
        write(result);
        if (sink.raw.writableLength > SOCKET_HIGH_WATER) await drained(sink.raw, stopping.signal);
      }
    } finally {
      // Left early (the socket closing, an error): graphql-ws may not stop this operation any more, so the stream is ended here.
      if (!ended) void Promise.resolve(iterator.return?.()).catch(() => {});
    }
    return { done: true, value: undefined };
  })();
  let first = true;
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next() {
      if (!first) return Promise.resolve({ done: true, value: undefined });
      first = false;
      // Settles done as soon as graphql-ws stops the operation, though the stream may be waiting for its next event.
      return Promise.race([pump, stopped.then(() => ({ done: true, value: undefined }) as const)]);
    },
    async return() {
      if (!stopping.signal.aborted) {
        stopping.abort();
        pump.catch(() => {}); // an error after the client left has no one to go to
        // Not awaited: a stream waiting for its next event ends when that comes (an async generator runs one step at a time).
        void Promise.resolve(iterator.return?.()).catch(() => {});
      }
      return { done: true, value: undefined };
    },
    async throw(err: unknown) {
      await this.return!(undefined);
      throw err;
    },
  } as AsyncGenerator<ExecutionResult>;
}

/** Resolves when `socket` has written what it holds, is gone, or `stopped` aborts; its listeners go with it. */
function drained(socket: Duplex, stopped: AbortSignal): Promise<void> {
  if (socket.destroyed || stopped.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      stopped.removeEventListener('abort', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
    stopped.addEventListener('abort', done);
  });
}

const corked = new Set<Duplex>();
let flushing = false;
function uncorkAll() {
  flushing = false;
  for (const socket of corked) socket.uncork();
  corked.clear();
}

/**
 * Holds what is written to `socket` until the event loop's next check phase, then writes it in
 * one go. Written by hand because it is three lines of Node's own cork/uncork: every event that
 * arrives in one read of Redis, or one query's worth of replayed events, then costs each
 * subscriber's socket one writev instead of one per frame (on loopback a write costs what 10 µs
 * of JavaScript does, and it was most of the time a delivery took).
 */
export function corkUntilNextTurn(socket: Duplex): void {
  if (corked.has(socket)) return;
  socket.cork();
  corked.add(socket);
  if (!flushing) {
    flushing = true;
    setImmediate(uncorkAll);
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
