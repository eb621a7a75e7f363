// Every limit on what one operation may ask for, in one place, applied alike over HTTP and WebSocket.
import type { ApolloServerPlugin } from '@apollo/server';
import depthLimit from 'graphql-depth-limit';
import {
  GraphQLError,
  getNamedType,
  NoSchemaIntrospectionCustomRule,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { createRequire } from 'node:module';
import type { ComplexityEstimator } from 'graphql-query-complexity';
import { badInput } from '../common/errors.js';
import { DEFAULT_PAGE_SIZE } from '../modules/common/connection.js';

// Its ESM build imports graphql/index.mjs by name, a second graphql beside the CommonJS one that
// type-graphql and Apollo use ("from another module or realm"); its CommonJS build shares theirs.
const { fieldExtensionsEstimator, getComplexity, simpleEstimator } = createRequire(import.meta.url)(
  'graphql-query-complexity',
) as typeof import('graphql-query-complexity');

export const LIMITS = {
  /** Nesting of selections; the deepest query the console sends is about 8. */
  depth: 12,
  /** Aliases in one operation: each can repeat a whole field. */
  aliases: 30,
  /** Estimated cost: 1 a field, lists of a connection count `first` times, expensive fields say their own cost. */
  complexity: 10_000,
} as const;

/** Refuses an operation with more than `max` aliases. */
function aliasLimit(max: number): ValidationRule {
  return (context) => {
    let aliases = 0;
    return {
      Field(node) {
        if (node.alias && ++aliases === max + 1) {
          context.reportError(new GraphQLError(`The operation uses more than ${max} aliases; split it into several requests.`, { nodes: [node] }));
        }
      },
    };
  };
}

export function validationRules(production: boolean): ValidationRule[] {
  return [depthLimit(LIMITS.depth), aliasLimit(LIMITS.aliases), ...(production ? [NoSchemaIntrospectionCustomRule] : [])];
}

/** A connection costs its page size times what each item asks for. */
const connectionEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (!getNamedType(field.type).name.endsWith('Connection')) return undefined;
  const first = typeof args.first === 'number' ? args.first : DEFAULT_PAGE_SIZE;
  return 1 + first * Math.max(childComplexity, 1);
};

/** Costs already estimated, per parsed document (Apollo hands back the same one for the same text) and variables. */
const estimated = new WeakMap<DocumentNode, Map<string, number | null>>();
const ESTIMATES_PER_DOCUMENT = 64;

/** The operation's estimated cost; null when its variables do not fit their types (execution refuses them, naming the variable). */
function costOf(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>, operationName?: string | null): number | null {
  let costs = estimated.get(document);
  if (!costs) estimated.set(document, (costs = new Map()));
  const key = `${operationName ?? ''}|${JSON.stringify(variables)}`;
  let cost = costs.get(key);
  if (cost === undefined) {
    try {
      cost = getComplexity({
        schema,
        query: document,
        variables,
        operationName: operationName ?? undefined,
        estimators: [fieldExtensionsEstimator(), connectionEstimator, simpleEstimator({ defaultComplexity: 1 })],
      });
    } catch (err) {
      if (!(err instanceof GraphQLError)) throw err;
      cost = null;
    }
    if (costs.size < ESTIMATES_PER_DOCUMENT) costs.set(key, cost);
  }
  return cost;
}

/** Throws BAD_USER_INPUT when the operation's estimated cost is over the limit. */
export function assertWithinCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>, operationName?: string | null): void {
  const cost = costOf(schema, document, variables, operationName);
  if (cost !== null && cost > LIMITS.complexity) {
    throw badInput(
      `The operation's estimated cost is ${cost}, over the limit of ${LIMITS.complexity}: ask for smaller pages (first), fewer nested lists, or fewer expensive fields such as preview.`,
    );
  }
}

/** Checks the cost of each HTTP operation once its variables are known. */
export function costLimitPlugin(schema: GraphQLSchema): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          assertWithinCost(schema, document, request.variables ?? {}, request.operationName);
        },
      };
    },
  };
}
