import type { AuditEventRow } from '../../db/schema.js';
import type { AuditFilter, AuditRepo, NewAuditEvent } from './audit.repo.js';

/** The audit log: one row per mutation attempt, written by the server's wrapper of Mutation fields (src/server/audit.ts). */
export class AuditService {
  constructor(private readonly repo: AuditRepo) {}

  record(event: NewAuditEvent): Promise<void> {
    return this.repo.insert(event);
  }

  list(projectId: string, filter: AuditFilter, after: { createdAt: Date; id: string } | null, limit: number): Promise<AuditEventRow[]> {
    return this.repo.page(projectId, filter, after, limit);
  }

  count(projectId: string, filter: AuditFilter): Promise<number> {
    return this.repo.count(projectId, filter);
  }
}
