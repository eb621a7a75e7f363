import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm';
import { artifacts, type ArtifactRow } from '../../db/schema.js';
import type { Db } from '../../storage/postgres.js';

export type NewArtifact = Omit<typeof artifacts.$inferInsert, 'createdAt' | 'status'>;

export class ArtifactsRepo {
  constructor(private readonly db: Db) {}

  byIds(projectId: string, ids: readonly string[]): Promise<ArtifactRow[]> {
    return this.db.select().from(artifacts).where(and(eq(artifacts.projectId, projectId), inArray(artifacts.id, [...ids])));
  }

  /** The READY artifacts of each run, oldest first. */
  readyByRuns(projectId: string, runIds: readonly string[]): Promise<ArtifactRow[]> {
    return this.db
      .select()
      .from(artifacts)
      .where(and(eq(artifacts.projectId, projectId), inArray(artifacts.runId, [...runIds]), eq(artifacts.status, 'READY')))
      .orderBy(asc(artifacts.createdAt), asc(artifacts.name));
  }

  async insert(values: NewArtifact): Promise<ArtifactRow> {
    const [row] = await this.db.insert(artifacts).values(values).returning();
    return row!;
  }

  /** Artifacts whose upload started more than `olderThanSeconds` ago and was never completed: cleaned up, then deleted. */
  sweepAbandoned(olderThanSeconds: number, limit: number, cleanup: (row: ArtifactRow) => Promise<void>): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = await tx
        .select()
        .from(artifacts)
        .where(and(eq(artifacts.status, 'AWAITING_UPLOAD'), lt(artifacts.createdAt, sql`now() - make_interval(secs => ${olderThanSeconds})`)))
        .orderBy(artifacts.createdAt)
        .limit(limit)
        .for('update', { skipLocked: true });
      for (const row of rows) {
        await cleanup(row);
        await tx.delete(artifacts).where(eq(artifacts.id, row.id));
      }
      return rows.length;
    });
  }

  async markReady(projectId: string, id: string): Promise<ArtifactRow | undefined> {
    const [row] = await this.db
      .update(artifacts)
      .set({ status: 'READY' })
      .where(and(eq(artifacts.projectId, projectId), eq(artifacts.id, id)))
      .returning();
    return row;
  }
}
