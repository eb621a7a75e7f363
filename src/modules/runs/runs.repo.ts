import { and, eq, sql, type SQL } from 'drizzle-orm';
import { runs, type RunRow } from '../../db/schema.js';
import { anyId, Repo } from '../../storage/postgres.js';
import { afterCreatedAt, firstPerParent, keysetValues, newestFirst } from '../common/keyset.js';
import type { RunStatus } from './runs.types.js';

export interface RunsPageArgs {
  after: { createdAt: Date; id: string } | null;
  status: RunStatus[] | null;
}

const p = sql.placeholder;

export class RunsRepo extends Repo {
  byIds(projectId: string, ids: readonly string[]): Promise<RunRow[]> {
    return this.prepared('byIds', () =>
      this.db.select().from(runs).where(and(eq(runs.projectId, p('projectId')), anyId(runs.id, 'ids'))).prepare('runs_by_ids'),
    ).execute({ projectId, ids });
  }

  private statusIn(status: RunStatus[] | null): SQL | undefined {
    return status?.length ? sql`${runs.status} = any(${p('status')}::run_status[])` : undefined;
  }

  /** Up to `limit` runs of each experiment, newest first, in one statement. */
  pagesByExperiment(projectId: string, experimentIds: readonly string[], args: RunsPageArgs, limit: number): Promise<RunRow[]> {
    const statement = this.prepared(`pages|${args.status?.length ? 'status' : ''}|${args.after ? 'after' : 'first'}`, () => {
      const pageIds = firstPerParent(
        runs,
        runs.id,
        runs.experimentId,
        newestFirst(runs),
        and(eq(runs.projectId, p('projectId')), this.statusIn(args.status), args.after ? afterCreatedAt(runs) : undefined),
      );
      return this.db.select().from(runs).where(sql`${runs.id} in (${pageIds})`).orderBy(...newestFirst(runs)).prepare('runs_pages');
    });
    return statement.execute({ projectId, parentIds: experimentIds, status: args.status, ...keysetValues(args.after), limit });
  }

  countsByExperiment(projectId: string, experimentIds: readonly string[], status: RunStatus[] | null): Promise<{ parentId: string; count: number }[]> {
    return this.prepared(`counts|${status?.length ? 'status' : ''}`, () =>
      this.db
        .select({ parentId: runs.experimentId, count: sql<number>`count(*)::int` })
        .from(runs)
        .where(and(eq(runs.projectId, p('projectId')), anyId(runs.experimentId, 'experimentIds'), this.statusIn(status)))
        .groupBy(runs.experimentId)
        .prepare('runs_counts'),
    ).execute({ projectId, experimentIds, status });
  }
}
