import type { AuthChecker } from 'type-graphql';
import { forbidden } from '../../common/errors.js';
import type { Context } from '../../server/context.js';
import { hasRole, type RoleName } from './viewer.js';

/**
 * type-graphql's check behind `@Authorized(role)`, which the root fields carry (queries VIEWER,
 * mutations RESEARCHER, key management ADMIN; test/server/roles.test.ts holds the matrix). Only
 * the decorated fields are wrapped; nested fields are reached through a checked root and the
 * project-scoped loaders, and pay nothing.
 */
export const authChecker: AuthChecker<Context, RoleName> = ({ context, info }, [needed]) => {
  if (needed && !hasRole(context.viewer, needed)) {
    throw forbidden(
      `${info.fieldName} needs the ${needed} role; this API key has ${context.viewer.role}. Ask an admin of the project for a key with that role.`,
    );
  }
  return true;
};
