import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm';
import { artifacts, type ArtifactRow } from '../../db/schema.js';
import { anyId, Repo } from '../../storage/postgres.js';

export type NewArtifact = Omit<typeof artifacts.$inferInsert, 'createdAt' | 'status'>;

const p = sql.placeholder;

export class ArtifactsRepo extends Repo {
  byIds(projectId: string, ids: readonly string[]): Promise<ArtifactRow[]> {
    return this.prepared('byIds', () =>
      this.db.select().from(artifacts).where(and(eq(artifacts.projectId, p('projectId')), anyId(artifacts.id, 'ids'))).prepare('artifacts_by_ids'),
    ).execute({ projectId, ids });
  }

  /** The READY artifacts of each run, oldest first. */
  readyByRuns(projectId: string, runIds: readonly string[]): Promise<ArtifactRow[]> {
    return this.prepared('readyByRuns', () =>
      this.db
        .select()
        .from(artifacts)
        .where(and(eq(artifacts.projectId, p('projectId')), anyId(artifacts.runId, 'runIds'), eq(artifacts.status, 'READY')))
        .orderBy(asc(artifacts.createdAt), asc(artifacts.name))
        .prepare('artifacts_ready_by_runs'),
    ).execute({ projectId, runIds });
  }

  async insert(values: NewArtifact): Promise<ArtifactRow> {
    const [row] = await this.db.insert(artifacts).values(values).returning();
    return row!;
  }

  /** A file the lab wrote itself, READY at once; replaces the run's artifact of that name (a finisher that ran again). */
  async upsertReady(values: NewArtifact): Promise<ArtifactRow> {
    const [row] = await this.db
      .insert(artifacts)
      .values({ ...values, status: 'READY' })
      .onConflictDoUpdate({
        target: [artifacts.runId, artifacts.name],
        set: { contentType: values.contentType, sizeBytes: values.sizeBytes, sha256: values.sha256 ?? null, blobKey: values.blobKey, status: 'READY' },
      })
      .returning();
    return row!;
  }

  /**
   * Deletes up to `limit` artifacts whose upload started more than `olderThanSeconds` ago and was
   * never completed, in one statement (so no row lock outlives it), and returns them: their bytes
   * are removed afterwards, outside any transaction.
   */
  deleteAbandoned(olderThanSeconds: number, limit: number): Promise<ArtifactRow[]> {
    const abandoned = this.db
      .select({ id: artifacts.id })
      .from(artifacts)
      .where(and(eq(artifacts.status, 'AWAITING_UPLOAD'), lt(artifacts.createdAt, sql`now() - make_interval(secs => ${olderThanSeconds})`)))
      .orderBy(artifacts.createdAt)
      .limit(limit)
      .for('update', { skipLocked: true });
    return this.db.delete(artifacts).where(inArray(artifacts.id, abandoned)).returning();
  }

  /** AWAITING_UPLOAD -> READY; undefined when the artifact is gone (swept meanwhile). */
  async markReady(projectId: string, id: string): Promise<ArtifactRow | undefined> {
    const [row] = await this.db
      .update(artifacts)
      .set({ status: 'READY' })
      .where(and(eq(artifacts.projectId, projectId), eq(artifacts.id, id), eq(artifacts.status, 'AWAITING_UPLOAD')))
      .returning();
    return row;
  }
}
