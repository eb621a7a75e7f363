import type { ApolloServerPlugin } from '@apollo/server';
import { graphqlDuration, graphqlRequests, operationLabel } from '../observability/metrics.js';

/** Counts each GraphQL request over HTTP by operation name and outcome, with its duration, for /metrics. */
export function requestMetricsPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart({ request }) {
      const started = performance.now();
      return {
        async willSendResponse({ response, operationName }) {
          const operation = operationLabel(operationName ?? request.operationName);
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          const code = errors?.[0]?.extensions?.code;
          graphqlRequests.inc({ operation, outcome: errors?.length ? (typeof code === 'string' ? code : 'ERROR') : 'OK' });
          graphqlDuration.observe({ operation }, (performance.now() - started) / 1000);
        },
      };
    },
  };
}
