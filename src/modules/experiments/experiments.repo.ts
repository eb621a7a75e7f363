import { and, arrayContains, eq, ilike, isNull, or, sql, type SQL } from 'drizzle-orm';
import { experiments, type ExperimentRow } from '../../db/schema.js';
import { anyId, Repo } from '../../storage/postgres.js';
import { afterCreatedAt, keysetValues, newestFirst } from '../common/keyset.js';

export interface ExperimentFilter {
  search?: string | null;
  tags?: string[] | null;
  includeArchived: boolean;
}

export interface ExperimentPatch {
  name?: string;
  description?: string | null;
  hypothesis?: string | null;
  tags?: string[];
}

/** `%` and `_` in a search are literal characters, not wildcards. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
const p = sql.placeholder;

export class ExperimentsRepo extends Repo {
  byIds(projectId: string, ids: readonly string[]): Promise<ExperimentRow[]> {
    return this.prepared('byIds', () =>
      this.db.select().from(experiments).where(and(eq(experiments.projectId, p('projectId')), anyId(experiments.id, 'ids'))).prepare('experiments_by_ids'),
    ).execute({ projectId, ids });
  }

  /** The filter as placeholders: one statement text per combination of the filters present. */
  private where(filter: ExperimentFilter): SQL | undefined {
    return and(
      eq(experiments.projectId, p('projectId')),
      filter.includeArchived ? undefined : isNull(experiments.archivedAt),
      filter.search ? or(ilike(experiments.name, p('search')), ilike(experiments.description, p('search'))) : undefined,
      filter.tags?.length ? arrayContains(experiments.tags, sql`${p('tags')}::text[]`) : undefined,
    );
  }

  private shape(filter: ExperimentFilter): string {
    return `${filter.includeArchived ? 'all' : 'live'}|${filter.search ? 'search' : ''}|${filter.tags?.length ? 'tags' : ''}`;
  }

  private values(projectId: string, filter: ExperimentFilter) {
    return { projectId, search: filter.search ? likePattern(filter.search) : null, tags: filter.tags ?? null };
  }

  /** Newest first; `limit` rows after the (createdAt, id) keyset. */
  page(projectId: string, filter: ExperimentFilter, after: { createdAt: Date; id: string } | null, limit: number): Promise<ExperimentRow[]> {
    const statement = this.prepared(`page|${this.shape(filter)}|${after ? 'after' : 'first'}`, () =>
      this.db
        .select()
        .from(experiments)
        .where(and(this.where(filter), after ? afterCreatedAt(experiments) : undefined))
        .orderBy(...newestFirst(experiments))
        .limit(p('limit'))
        .prepare('experiments_page'),
    );
    return statement.execute({ ...this.values(projectId, filter), ...keysetValues(after), limit });
  }

  async count(projectId: string, filter: ExperimentFilter): Promise<number> {
    const statement = this.prepared(`count|${this.shape(filter)}`, () =>
      this.db.select({ count: sql<number>`count(*)::int` }).from(experiments).where(this.where(filter)).prepare('experiments_count'),
    );
    const [row] = await statement.execute(this.values(projectId, filter));
    return row!.count;
  }

  async insert(projectId: string, values: Required<ExperimentPatch>): Promise<ExperimentRow> {
    const [row] = await this.db.insert(experiments).values({ projectId, ...values }).returning();
    return row!;
  }

  async update(projectId: string, id: string, patch: ExperimentPatch & { archivedAt?: Date }): Promise<ExperimentRow | undefined> {
    const [row] = await this.db
      .update(experiments)
      .set({ ...patch, updatedAt: new Date() })
      .where(and(eq(experiments.projectId, projectId), eq(experiments.id, id)))
      .returning();
    return row;
  }
}
