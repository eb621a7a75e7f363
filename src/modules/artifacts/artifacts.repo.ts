import { and, asc, eq, inArray } from 'drizzle-orm';
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

  async markReady(projectId: string, id: string): Promise<ArtifactRow | undefined> {
    const [row] = await this.db
      .update(artifacts)
      .set({ status: 'READY' })
      .where(and(eq(artifacts.projectId, projectId), eq(artifacts.id, id)))
      .returning();
    return row;
  }
}
