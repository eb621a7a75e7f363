import { and, eq, isNull, sql } from 'drizzle-orm';
import { apiKeys, type ApiKeyRow } from '../../db/schema.js';
import { anyId, Repo } from '../../storage/postgres.js';
import type { RoleName } from './viewer.js';

const p = sql.placeholder;

export class AuthRepo extends Repo {
  /** Every request's first statement. */
  async byHash(keyHash: string): Promise<ApiKeyRow | undefined> {
    const [row] = await this.prepared('byHash', () => this.db.select().from(apiKeys).where(eq(apiKeys.keyHash, p('keyHash'))).prepare('api_key_by_hash')).execute({
      keyHash,
    });
    return row;
  }

  byIds(projectId: string, ids: readonly string[]): Promise<ApiKeyRow[]> {
    return this.prepared('byIds', () =>
      this.db.select().from(apiKeys).where(and(eq(apiKeys.projectId, p('projectId')), anyId(apiKeys.id, 'ids'))).prepare('api_keys_by_ids'),
    ).execute({ projectId, ids });
  }

  list(projectId: string): Promise<ApiKeyRow[]> {
    return this.db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.projectId, projectId))
      .orderBy(sql`${apiKeys.createdAt} desc`, sql`${apiKeys.id} desc`);
  }

  async insert(values: { projectId: string; name: string; role: RoleName; prefix: string; keyHash: string }): Promise<ApiKeyRow> {
    const [row] = await this.db.insert(apiKeys).values(values).returning();
    return row!;
  }

  async markUsed(id: string, at: Date): Promise<void> {
    await this.db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id));
  }

  /** Revokes once: a second revoke keeps the first time. */
  async revoke(projectId: string, id: string): Promise<ApiKeyRow | undefined> {
    await this.db
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.projectId, projectId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)));
    const [row] = await this.byIds(projectId, [id]);
    return row;
  }
}
