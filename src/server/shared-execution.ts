import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';

/**
 * graphql-ws's `subscribe`, executing each event once per operation instead of once per
 * subscriber: pub/sub parses a message once per process and hands the same object to every
 * subscriber, so results are kept per event object (a WeakMap: they go when the event does) and
 * per `keyOf(args)`: subscribers with the same key (operation text, variables, project and role)
 * get the same result object. A null key executes as graphql's own `subscribe` does.
 */
export function sharedSubscribe(keyOf: (args: ExecutionArgs) => string | null) {
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

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
