import { roleEnum } from '../../db/schema.js';

export const roles = roleEnum.enumValues;
export type RoleName = (typeof roles)[number];

/** Who is calling: resolved from the API key once per request (or per WebSocket connection). */
export interface Viewer {
  projectId: string;
  role: RoleName;
  apiKeyId: string;
  /** Shown in audit and logs: `api-key:<name>`. */
  subject: string;
}

export function hasRole(viewer: Viewer, needed: RoleName): boolean {
  return roles.indexOf(viewer.role) >= roles.indexOf(needed);
}
