import { and, eq, sql, type SQL } from 'drizzle-orm';
import { auditEvents, type AuditEventRow } from '../../db/schema.js';
import { anyId, Repo } from '../../storage/postgres.js';
import { afterCreatedAt, keysetValues, newestFirst } from '../common/keyset.js';

export type NewAuditEvent = Omit<AuditEventRow, 'id' | 'createdAt'>;

export interface AuditFilter {
  actorApiKeyId?: string | null;
  action?: string | null;
}

const p = sql.placeholder;

export class AuditRepo extends Repo {
  /** One per mutation: a prepared statement of its own. */
  async insert(event: NewAuditEvent): Promise<void> {
    await this.prepared('insert', () =>
      this.db
        .insert(auditEvents)
        .values({
          projectId: p('projectId'),
          actorApiKeyId: p('actorApiKeyId'),
          actorName: p('actorName'),
          action: p('action'),
          targetIds: sql`${p('targetIds')}::text[]`,
          outcome: p('outcome'),
          requestId: p('requestId'),
        })
        .prepare('audit_events_insert'),
    ).execute(event);
  }

  byIds(projectId: string, ids: readonly string[]): Promise<AuditEventRow[]> {
    return this.prepared('byIds', () =>
      this.db.select().from(auditEvents).where(and(eq(auditEvents.projectId, p('projectId')), anyId(auditEvents.id, 'ids'))).prepare('audit_events_by_ids'),
    ).execute({ projectId, ids });
  }

  private where(filter: AuditFilter): SQL | undefined {
    return and(
      eq(auditEvents.projectId, p('projectId')),
      filter.actorApiKeyId ? eq(auditEvents.actorApiKeyId, p('actorApiKeyId')) : undefined,
      filter.action ? eq(auditEvents.action, p('action')) : undefined,
    );
  }

  private shape(filter: AuditFilter): string {
    return `${filter.actorApiKeyId ? 'actor' : ''}|${filter.action ? 'action' : ''}`;
  }

  private values(projectId: string, filter: AuditFilter) {
    return { projectId, actorApiKeyId: filter.actorApiKeyId ?? null, action: filter.action ?? null };
  }

  /** Newest first; `limit` rows after the (createdAt, id) keyset. */
  page(projectId: string, filter: AuditFilter, after: { createdAt: Date; id: string } | null, limit: number): Promise<AuditEventRow[]> {
    return this.prepared(`page|${this.shape(filter)}|${after ? 'after' : 'first'}`, () =>
      this.db
        .select()
        .from(auditEvents)
        .where(and(this.where(filter), after ? afterCreatedAt(auditEvents) : undefined))
        .orderBy(...newestFirst(auditEvents))
        .limit(p('limit'))
        .prepare('audit_events_page'),
    ).execute({ ...this.values(projectId, filter), ...keysetValues(after), limit });
  }

  async count(projectId: string, filter: AuditFilter): Promise<number> {
    const [row] = await this.prepared(`count|${this.shape(filter)}`, () =>
      this.db.select({ count: sql<number>`count(*)::int` }).from(auditEvents).where(this.where(filter)).prepare('audit_events_count'),
    ).execute(this.values(projectId, filter));
    return row!.count;
  }
}
