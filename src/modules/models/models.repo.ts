import { and, eq, getTableColumns, sql } from 'drizzle-orm';
import { models, type ModelRow } from '../../db/schema.js';
import { anyId, Repo } from '../../storage/postgres.js';
import { ProjectList } from '../common/project-list.js';

export type NewModel = Omit<typeof models.$inferInsert, 'id' | 'createdAt'>;

/** A model as every reader but the provider call sees it: whether a key is stored, never the ciphertext. */
export type ModelView = Omit<ModelRow, 'apiKeyCiphertext'> & { hasApiKey: boolean };

const { apiKeyCiphertext, ...visible } = getTableColumns(models);
const viewColumns = { ...visible, hasApiKey: sql<boolean>`${apiKeyCiphertext} is not null` };
const p = sql.placeholder;

export class ModelsRepo extends Repo {
  byIds(projectId: string, ids: readonly string[]): Promise<ModelView[]> {
    return this.prepared('byIds', () =>
      this.db.select(viewColumns).from(models).where(and(eq(models.projectId, p('projectId')), anyId(models.id, 'ids'))).prepare('models_by_ids'),
    ).execute({ projectId, ids });
  }

  private readonly list = new ProjectList<ModelView>(this.db, models, 'models', viewColumns);

  page(projectId: string, after: { createdAt: Date; id: string } | null, limit: number): Promise<ModelView[]> {
    return this.list.page(projectId, after, limit);
  }

  count(projectId: string): Promise<number> {
    return this.list.count(projectId);
  }

  /** The full rows, sealed key included: only for a run's snapshot, which the worker opens. */
  withKeysByIds(projectId: string, ids: readonly string[]): Promise<ModelRow[]> {
    return this.prepared('withKeysByIds', () =>
      this.db.select().from(models).where(and(eq(models.projectId, p('projectId')), anyId(models.id, 'ids'))).prepare('models_with_keys_by_ids'),
    ).execute({ projectId, ids });
  }

  async insert(values: NewModel): Promise<ModelView> {
    const [row] = await this.db.insert(models).values(values).returning(viewColumns);
    return row!;
  }
}
