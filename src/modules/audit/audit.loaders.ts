import { notFound } from '../../common/errors.js';
import { rowsById } from '../common/loaders.js';
import type { AuditRepo } from './audit.repo.js';

export function createAuditLoaders(repo: AuditRepo, projectId: string) {
  return {
    auditEventById: rowsById(
      (ids) => repo.byIds(projectId, ids),
      (id) => notFound('AuditEvent', id),
    ),
  };
}
