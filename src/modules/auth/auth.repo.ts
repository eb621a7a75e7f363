import { and, desc, eq, inArray, isNull } from 'drizzle-orm';
import { apiKeys, type ApiKeyRow } from '../../db/schema.js';
import { Repo } from '../../storage/postgres.js';
import type { RoleName } from './viewer.js';

export class AuthRepo extends Repo {
  async byHash(keyHash: string): Promise<ApiKeyRow | undefined> {
    const [row] = await this.db.select().from(apiKeys).where(eq(apiKeys.keyHash, keyHash));
    return row;
  }

  byIds(projectId: string, ids: readonly string[]): Promise<ApiKeyRow[]> {
    return this.db.select().from(apiKeys).where(and(eq(apiKeys.projectId, projectId), inArray(apiKeys.id, [...ids])));
  }

  list(projectId: string): Promise<ApiKeyRow[]> {
    return this.db.select().from(apiKeys).where(eq(apiKeys.projectId, projectId)).orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
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
