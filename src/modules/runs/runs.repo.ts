import { and, count, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { runs, type RunRow } from '../../db/schema.js';
import { Repo } from '../../storage/postgres.js';
import { afterCreatedAt, firstPerParent, newestFirst } from '../common/keyset.js';
import type { RunStatus } from './runs.types.js';

export interface RunsPageArgs {
  /** Rows per experiment (callers ask for the page size + 1). */
  limit: number;
  after: { createdAt: Date; id: string } | null;
  status: RunStatus[] | null;
}

export class RunsRepo extends Repo {
  byIds(projectId: string, ids: readonly string[]): Promise<RunRow[]> {
    return this.db.select().from(runs).where(and(eq(runs.projectId, projectId), inArray(runs.id, [...ids])));
  }

  private ofExperiments(projectId: string, experimentIds: readonly string[], status: RunStatus[] | null): SQL | undefined {
    return and(
      eq(runs.projectId, projectId),
      inArray(runs.experimentId, [...experimentIds]),
      status?.length ? inArray(runs.status, status) : undefined,
    );
  }

  /** Up to `limit` runs of each experiment, newest first, in one statement. */
  pagesByExperiment(projectId: string, experimentIds: readonly string[], args: RunsPageArgs): Promise<RunRow[]> {
    const pageIds = firstPerParent(
      runs,
      runs.id,
      runs.experimentId,
      experimentIds,
      newestFirst(runs),
      and(eq(runs.projectId, projectId), args.status?.length ? inArray(runs.status, args.status) : undefined, afterCreatedAt(runs, args.after)),
      args.limit,
    );
    return this.db.select().from(runs).where(sql`${runs.id} in (${pageIds})`).orderBy(...newestFirst(runs));
  }

  countsByExperiment(projectId: string, experimentIds: readonly string[], status: RunStatus[] | null): Promise<{ experimentId: string; count: number }[]> {
    return this.db
      .select({ experimentId: runs.experimentId, count: count() })
      .from(runs)
      .where(this.ofExperiments(projectId, experimentIds, status))
      .groupBy(runs.experimentId);
  }

  latestByExperiment(projectId: string, experimentIds: readonly string[]): Promise<RunRow[]> {
    return this.db
      .selectDistinctOn([runs.experimentId])
      .from(runs)
      .where(this.ofExperiments(projectId, experimentIds, null))
      .orderBy(runs.experimentId, desc(runs.createdAt), desc(runs.id));
  }
}
