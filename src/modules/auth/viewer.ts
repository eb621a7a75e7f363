import { ROLE_NAMES } from '../../db/roles.js';

export const roles = ROLE_NAMES;
export type RoleName = (typeof roles)[number];

/** Who is calling: resolved from the API key once per request (or per WebSocket connection). */
export interface Viewer {
  projectId: string;
  role: RoleName;
  /** Null for a signed-in token (JWT). */
  apiKeyId: string | null;
  /** Shown in audit and logs: `api-key:<name>`, or `jwt:<sub>`. */
  subject: string;
  /** When a token stops being valid (ms since the epoch); null for an API key (revoked instead). */
  expiresAt?: number | null;
}

export function hasRole(viewer: Viewer, needed: RoleName): boolean {
  return roles.indexOf(viewer.role) >= roles.indexOf(needed);
}
