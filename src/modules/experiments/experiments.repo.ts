import { and, arrayContains, eq, ilike, inArray, isNull, or, type SQL } from 'drizzle-orm';
import { experiments, type ExperimentRow } from '../../db/schema.js';
import { Repo } from '../../storage/postgres.js';
import { afterCreatedAt, newestFirst } from '../common/keyset.js';

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

export class ExperimentsRepo extends Repo {
  byIds(projectId: string, ids: readonly string[]): Promise<ExperimentRow[]> {
    return this.db
      .select()
      .from(experiments)
      .where(and(eq(experiments.projectId, projectId), inArray(experiments.id, [...ids])));
  }

  private where(projectId: string, filter: ExperimentFilter): SQL | undefined {
    return and(
      eq(experiments.projectId, projectId),
      filter.includeArchived ? undefined : isNull(experiments.archivedAt),
      filter.search ? or(ilike(experiments.name, likePattern(filter.search)), ilike(experiments.description, likePattern(filter.search))) : undefined,
      filter.tags?.length ? arrayContains(experiments.tags, filter.tags) : undefined,
    );
  }

  /** Newest first; `limit` rows after the (createdAt, id) keyset. */
  page(projectId: string, filter: ExperimentFilter, after: { createdAt: Date; id: string } | null, limit: number): Promise<ExperimentRow[]> {
    return this.db
      .select()
      .from(experiments)
      .where(and(this.where(projectId, filter), afterCreatedAt(experiments, after)))
      .orderBy(...newestFirst(experiments))
      .limit(limit);
  }

  async count(projectId: string, filter: ExperimentFilter): Promise<number> {
    return this.db.$count(experiments, this.where(projectId, filter));
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
