import type { AuthChecker } from 'type-graphql';
import { forbidden } from '../../common/errors.js';
import type { NodeType } from '../../common/global-id.js';
import type { Context } from '../../server/context.js';
import { hasRole, type RoleName, type Viewer } from './viewer.js';

/**
 * type-graphql's check behind `@Authorized(role)`, which the root fields carry (queries VIEWER,
 * mutations RESEARCHER, key management ADMIN; test/server/roles.test.ts holds the matrix). Only
 * the decorated fields are wrapped; nested fields are reached through a checked root and the
 * project-scoped loaders, and pay nothing.
 */
export const authChecker: AuthChecker<Context, RoleName> = ({ context, info }, [needed]) => {
  if (needed) requireRole(context.viewer, needed, info.fieldName);
  return true;
};

/**
 * Types that `node(id:)` reads only for a role above VIEWER: the role of the root field that
 * lists them, so `node` is no side door (`apiKeys` and `auditEvents` are ADMIN).
 */
const NODE_ROLES: Readonly<Record<NodeType, RoleName>> = { ApiKey: 'ADMIN', AuditEvent: 'ADMIN' };

/** Refuses `node(id:)` of a type the viewer may not list; checked before the load, so a refusal tells nothing of what exists. */
export function authorizeNode(viewer: Viewer, type: NodeType): void {
  const needed = NODE_ROLES[type];
  if (needed) requireRole(viewer, needed, `node(id:) of an ${type}`);
}

function requireRole(viewer: Viewer, needed: RoleName, what: string): void {
  if (!hasRole(viewer, needed)) {
    throw forbidden(`${what} needs the ${needed} role; this API key has ${viewer.role}. Ask an admin of the project for a key with that role.`);
  }
}
