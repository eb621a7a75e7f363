import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import { GraphQLError, getOperationAST, printSchema, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { inSpan, tracingEnabled } from '../observability/tracing.js';

type Gateway = ApolloServerOptionsWithGateway<never>['gateway'];

/** Compiled operations kept per parsed document; Apollo's document store hands back the same document for the same query text. */
const MAX_OPERATIONS_PER_DOCUMENT = 16;

/**
 * graphql-jit's errors are GraphQLErrors without the `extensions` object graphql-js always sets,
 * which Apollo's error normaliser reads: the same error as graphql-js would have made it.
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  const normal = new GraphQLError(error.message, { path: error.path, originalError: error.originalError ?? undefined, extensions: error.extensions ?? {} });
  return Object.assign(normal, { locations: error.locations });
}

/**
 * Apollo Server's executor seam (its `gateway` option, which only hands over the schema and
 * runs each operation): operations run through graphql-jit, compiled once per parsed document
 * and reused, instead of graphql-js walking the query for every request. Apollo still parses,
 * validates (with the lab's limits), runs the plugins and formats errors, as before.
 */
export function compiledExecution(schema: GraphQLSchema): Gateway {
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | ExecutionResult>>();
  const compile = (document: DocumentNode, operationName: string | null) => {
    let operations = compiled.get(document);
    if (!operations) {
      operations = new Map();
      compiled.set(document, operations);
    }
    const key = operationName ?? '';
    let operation = operations.get(key);
    if (!operation) {
      // Resolver errors keep their originalError (and so their code); stack capture is left off for speed.
      // Built-in scalars and enums are written as the resolvers return them, without graphql-js's
      // serialize(): it coerces what no resolver here returns (numbers for String, numeric strings for
      // Int), and graphql-jit's call of it allocated two arrays and an object per leaf, a tenth of the
      // CPU of a page of 100. Custom scalars (DateTime, JSON) keep theirs. test/server/leaf-values.test.ts
      // holds every built-in scalar and enum field to its type, against graphql-js's own execution.
      operation = compileQuery(schema, document, operationName ?? undefined, { disablingCapturingStackErrors: true, disableLeafSerialization: true });
      if (operations.size < MAX_OPERATIONS_PER_DOCUMENT) operations.set(key, operation);
    }
    return operation;
  };
  return {
    async load() {
      return {
        executor: async ({ document, operationName, request, context }) => {
          const operation = compile(document, operationName);
          if (!isCompiledQuery(operation)) return operation;
          const run = async () => {
            const result = (await operation.query(undefined, context, request.variables ?? {})) as ExecutionResult;
            return result.errors ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
          };
          if (!tracingEnabled()) return run();
          const type = getOperationAST(document, operationName)?.operation ?? 'query';
          return inSpan(`graphql.execute ${operationName ?? type}`, { 'graphql.operation.name': operationName ?? '', 'graphql.operation.type': type }, run);
        },
      };
    },
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => {};
    },
    async stop() {},
  };
}
