import type { GraphQLResolveInfo } from 'graphql';
import { allow, rule, shield } from 'graphql-shield';
import { forbidden } from '../../common/errors.js';
import type { Context } from '../../server/context.js';
import { hasRole, type RoleName } from './viewer.js';

const atLeast = (role: RoleName) =>
  rule(`atLeast${role}`, { cache: 'no_cache' })((_parent: unknown, _args: unknown, ctx: Context, info: GraphQLResolveInfo) =>
    hasRole(ctx.viewer, role) ||
    forbidden(`${info.fieldName} needs the ${role} role; this API key has ${ctx.viewer.role}. Ask an admin of the project for a key with that role.`),
  );

const isViewer = atLeast('VIEWER');
const isResearcher = atLeast('RESEARCHER');
const isAdmin = atLeast('ADMIN');

/** Role checks on every root field; nested fields are reachable only through a checked root and the project-scoped loaders. */
export const permissions = shield(
  {
    Query: { '*': isViewer, apiKeys: isAdmin },
    Mutation: { '*': isResearcher, createApiKey: isAdmin, revokeApiKey: isAdmin },
    Subscription: { '*': isViewer },
  },
  // Errors thrown by resolvers pass through untouched; the server's error formatter masks unexpected ones.
  { allowExternalErrors: true, fallbackRule: allow },
);
