import { and, eq, inArray } from 'drizzle-orm';
import { models, type ModelRow } from '../../db/schema.js';
import { Repo } from '../../storage/postgres.js';
import { afterCreatedAt, newestFirst } from '../common/keyset.js';

export type NewModel = Omit<typeof models.$inferInsert, 'id' | 'createdAt'>;

export class ModelsRepo extends Repo {
  byIds(projectId: string, ids: readonly string[]): Promise<ModelRow[]> {
    return this.db.select().from(models).where(and(eq(models.projectId, projectId), inArray(models.id, [...ids])));
  }

  page(projectId: string, after: { createdAt: Date; id: string } | null, limit: number): Promise<ModelRow[]> {
    return this.db
      .select()
      .from(models)
      .where(and(eq(models.projectId, projectId), afterCreatedAt(models, after)))
      .orderBy(...newestFirst(models))
      .limit(limit);
  }

  count(projectId: string): Promise<number> {
    return this.db.$count(models, eq(models.projectId, projectId));
  }

  async insert(values: NewModel): Promise<ModelRow> {
    const [row] = await this.db.insert(models).values(values).returning();
    return row!;
  }
}
