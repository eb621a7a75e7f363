// Every limit on what one operation may ask for, in one place, applied alike over HTTP and WebSocket.
import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  getNamedType,
  NoSchemaIntrospectionCustomRule,
  parse,
  type ASTNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { createRequire } from 'node:module';
import { limitRefusals } from '../observability/metrics.js';
import type { ComplexityEstimator } from 'graphql-query-complexity';
import { badInput, DomainError } from '../common/errors.js';
import { DEFAULT_PAGE_SIZE } from '../modules/common/connection.js';
import { toGraphQLError } from './errors.js';

// Its ESM build imports graphql/index.mjs by name, a second graphql beside the CommonJS one that
// type-graphql and Apollo use ("from another module or realm"); its CommonJS build shares theirs.
const { fieldExtensionsEstimator, getComplexity, simpleEstimator } = createRequire(import.meta.url)(
  'graphql-query-complexity',
) as typeof import('graphql-query-complexity');

export const LIMITS = {
  /** Lexical tokens of the query text, counted by the parser, which stops there (the longest test operation has about 130). */
  tokens: 2_000,
  /** Nesting of selections; the deepest query the console sends is about 8. */
  depth: 12,
  /** Aliases in one operation: each can repeat a whole field. */
  aliases: 30,
  /** Directives in one operation. */
  directives: 50,
  /** Nesting of one input value (a JSON `parameters`, a list of lists), in a variable or written in the query. */
  inputDepth: 64,
  /** Estimated cost: 1 a field, lists of a connection count `first` times, expensive fields say their own cost. */
  complexity: 10_000,
} as const;

export type LimitName = keyof typeof LIMITS | 'nul';

/** Refusals since the process started, by the limit that refused (for the metrics to come). */
const refusals: Partial<Record<LimitName, number>> = {};

export function refusalCounts(): Readonly<Partial<Record<LimitName, number>>> {
  return refusals;
}

function countRefusal(limit: LimitName): void {
  refusals[limit] = (refusals[limit] ?? 0) + 1;
  limitRefusals.inc({ limit });
}

function refuse(context: ValidationContext, limit: LimitName, message: string, node: ASTNode): void {
  countRefusal(limit);
  context.reportError(new GraphQLError(message, { nodes: [node] }));
}

/** The parser's options: it stops counting, and refuses, past the token limit. */
export const parseOptions = { maxTokens: LIMITS.tokens } as const;

/** Parses a WebSocket operation as Apollo parses an HTTP one (same token limit). */
export function parseOperation(query: string): DocumentNode {
  try {
    return parse(query, parseOptions);
  } catch (err) {
    countTokenRefusal(err);
    throw err;
  }
}

function countTokenRefusal(err: unknown): void {
  if (err instanceof GraphQLError && err.message.includes(`more than ${LIMITS.tokens} tokens`)) countRefusal('tokens');
}

const operationLabel = (operation: OperationDefinitionNode) => (operation.name ? `Operation '${operation.name.value}'` : 'This operation');

/**
 * Refuses an operation nested deeper than `max` (root fields are level 0; introspection fields are
 * not counted). Each fragment's own depth is computed once (a chain or a diamond of fragments stays
 * linear), and a fragment met again while being computed counts nothing, so a fragment cycle
 * (reported by NoFragmentCyclesRule, whatever the order of the rules) cannot recurse forever here.
 */
function depthLimit(max: number): ValidationRule {
  return (context) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const fragmentDepths = new Map<string, number>();
    /** How many levels a selection set reaches below itself: 0 for leaves only, -1 for nothing counted. */
    const reach = (selectionSet: SelectionSetNode): number => {
      let result = -1;
      for (const selection of selectionSet.selections) {
        if (result > max) break;
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value.startsWith('__')) continue;
          result = Math.max(result, selection.selectionSet ? 1 + reach(selection.selectionSet) : 0);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          result = Math.max(result, reach(selection.selectionSet));
        } else {
          const name = selection.name.value;
          let depth = fragmentDepths.get(name);
          if (depth === undefined) {
            fragmentDepths.set(name, -1);
            const fragment = fragments.get(name);
            depth = fragment ? reach(fragment.selectionSet) : -1;
            fragmentDepths.set(name, depth);
          }
          result = Math.max(result, depth);
        }
      }
      return result;
    };
    return {
      OperationDefinition(operation) {
        if (reach(operation.selectionSet) > max) {
          refuse(context, 'depth', `${operationLabel(operation)} exceeds maximum operation depth of ${max}; ask for fewer nested levels, and fetch deeper objects by id (node) in another request.`, operation);
        }
      },
    };
  };
}

/** Refuses an operation with more than `max` aliases. */
function aliasLimit(max: number): ValidationRule {
  return (context) => {
    let aliases = 0;
    return {
      Field(node) {
        if (node.alias && ++aliases === max + 1) refuse(context, 'aliases', `The operation uses more than ${max} aliases; split it into several requests.`, node);
      },
    };
  };
}

/** Refuses an operation with more than `max` directives. */
function directiveLimit(max: number): ValidationRule {
  return (context) => {
    let directives = 0;
    return {
      Directive(node) {
        if (++directives === max + 1) refuse(context, 'directives', `The operation uses more than ${max} directives.`, node);
      },
    };
  };
}

/** The argument or input field a literal value sits in, for the message. */
function argumentOf(ancestors: readonly (ASTNode | readonly ASTNode[])[]): string {
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const node = ancestors[i]!;
    if (!Array.isArray(node) && ((node as ASTNode).kind === Kind.ARGUMENT || (node as ASTNode).kind === Kind.OBJECT_FIELD)) {
      return (node as { name: { value: string } }).name.value;
    }
  }
  return 'an argument';
}

/**
 * Literal values the stores cannot take: a NUL character (PostgreSQL text refuses it), or lists
 * and objects nested deeper than the input limit.
 */
function literalLimit(maxDepth: number): ValidationRule {
  return (context) => {
    let depth = 0;
    let refusedDepth = false;
    type Ancestors = readonly (ASTNode | readonly ASTNode[])[];
    const enter = (node: ASTNode, _key: unknown, parent: ASTNode | readonly ASTNode[] | undefined, _path: unknown, ancestors: Ancestors) => {
      if (++depth > maxDepth && !refusedDepth) {
        refusedDepth = true;
        refuse(context, 'inputDepth', `${argumentOf([...ancestors, parent!])}: the value is nested more than ${maxDepth} levels deep.`, node);
      }
    };
    return {
      ListValue: { enter, leave: () => void depth-- },
      ObjectValue: { enter, leave: () => void depth-- },
      StringValue(node, _key, parent, _path, ancestors) {
        if (node.value.includes('\u0000')) refuse(context, 'nul', `${argumentOf([...ancestors, parent!])}: text may not contain the NUL character (\\u0000).`, node);
      },
    };
  };
}

export function validationRules(production: boolean): ValidationRule[] {
  return [
    depthLimit(LIMITS.depth),
    aliasLimit(LIMITS.aliases),
    directiveLimit(LIMITS.directives),
    literalLimit(LIMITS.inputDepth),
    ...(production ? [NoSchemaIntrospectionCustomRule] : []),
  ];
}

/**
 * Throws BAD_USER_INPUT naming the variable when a value holds a NUL character or nests deeper
 * than the input limit. The walk keeps its own stack: a value nested thousands deep cannot
 * overflow it.
 */
export function assertSafeVariables(variables: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(variables)) {
    const pending: [unknown, number][] = [[value, 0]];
    while (pending.length > 0) {
      const [item, depth] = pending.pop()!;
      if (typeof item === 'string') {
        if (item.includes('\u0000')) {
          countRefusal('nul');
          throw badInput(`$${name}: text may not contain the NUL character (\\u0000).`, name);
        }
      } else if (item !== null && typeof item === 'object') {
        if (depth >= LIMITS.inputDepth) {
          countRefusal('inputDepth');
          throw badInput(`$${name}: the value is nested more than ${LIMITS.inputDepth} levels deep.`, name);
        }
        for (const [key, child] of Object.entries(item)) {
          if (key.includes('\u0000')) {
            countRefusal('nul');
            throw badInput(`$${name}: text may not contain the NUL character (\\u0000).`, name);
          }
          pending.push([child, depth + 1]);
        }
      }
    }
  }
}

/** In production, validation errors do not teach the schema: "Did you mean ...?" is cut off. */
export function withoutSuggestions(message: string): string {
  return message.replace(/ Did you mean .*$/s, '');
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
      // The estimator gives up on an operation that expands to too many nodes (fragments spread over and over): over any limit.
      cost = err.message.includes('maximum allowed number of nodes') ? Number.POSITIVE_INFINITY : null;
    }
    if (costs.size < ESTIMATES_PER_DOCUMENT) costs.set(key, cost);
  }
  return cost;
}

/** Throws BAD_USER_INPUT when the operation's estimated cost is over the limit. */
export function assertWithinCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>, operationName?: string | null): void {
  const cost = costOf(schema, document, variables, operationName);
  if (cost !== null && cost > LIMITS.complexity) {
    countRefusal('complexity');
    const estimate = Number.isFinite(cost) ? `${cost}` : 'beyond counting (its fragments expand to too many fields)';
    throw badInput(
      `The operation's estimated cost is ${estimate}, over the limit of ${LIMITS.complexity}: ask for smaller pages (first), fewer nested lists, or fewer expensive fields such as preview.`,
    );
  }
}

/** The checks that need the variables, in order: safe values, then cost. */
export function assertOperationWithinLimits(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>, operationName?: string | null): void {
  assertSafeVariables(variables);
  assertWithinCost(schema, document, variables, operationName);
}

/** Counts token refusals of Apollo's parser, and checks each HTTP operation's variables and cost once they are known (a refusal is HTTP 400). */
export function limitsPlugin(schema: GraphQLSchema): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async parsingDidStart() {
          return async (err) => countTokenRefusal(err);
        },
        async didResolveOperation({ request, document }) {
          try {
            assertOperationWithinLimits(schema, document, request.variables ?? {}, request.operationName);
          } catch (err) {
            throw err instanceof DomainError ? toGraphQLError(err) : err;
          }
        },
      };
    },
  };
}
