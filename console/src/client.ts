import { cacheExchange, Client, fetchExchange, subscriptionExchange } from 'urql';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';

const GRAPHQL_PATH = '/graphql';

export interface LabClient {
  urql: Client;
  ws: WsClient;
  dispose(): void;
}

function wsUrl(): string {
  const url = new URL(GRAPHQL_PATH, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/** An urql client speaking with one API key: queries and mutations over HTTP, subscriptions over graphql-ws. */
export function createLabClient(apiKey: string): LabClient {
  const authorization = `Bearer ${apiKey}`;
  const ws = createWsClient({
    url: wsUrl(),
    connectionParams: { authorization },
    lazy: true,
    // A restarted server closes with 1001; keep trying for minutes, at most 5 s apart, so live pages resume on their own.
    retryAttempts: 60,
    // graphql-ws retries only close events by default; a server still restarting refuses the connection (an error event) and must be retried too.
    shouldRetry: () => true,
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** retries, 5_000) + Math.random() * 500)),
  });
  const urql = new Client({
    url: GRAPHQL_PATH,
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
    fetchOptions: () => ({ headers: { authorization } }),
    // Queries go as POST with a JSON body: the API's CSRF prevention refuses simple GETs.
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
  });
  return { urql, ws, dispose: () => void ws.dispose() };
}
