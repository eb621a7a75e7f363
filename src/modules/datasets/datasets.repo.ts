import { and, count, desc, eq, inArray, isNull, lt, max, or, sql } from 'drizzle-orm';
import { datasets, datasetVersions, type DatasetRow, type DatasetVersionRow } from '../../db/schema.js';
import type { Db } from '../../storage/postgres.js';
import { afterCreatedAt, firstPerParent, newestFirst } from '../common/keyset.js';

export interface VersionPageArgs {
  first: number;
  beforeVersion: number | null;
}

export type NewDatasetVersion = Pick<
  typeof datasetVersions.$inferInsert,
  'format' | 'blobKey' | 'uploadId' | 'partSizeBytes' | 'sizeBytes' | 'declaredSha256'
>;

export type ValidationOutcome = Pick<DatasetVersionRow, 'status' | 'sha256' | 'rowCount' | 'columns' | 'errors'>;

export class DatasetsRepo {
  constructor(private readonly db: Db) {}

  byIds(projectId: string, ids: readonly string[]): Promise<DatasetRow[]> {
    return this.db.select().from(datasets).where(and(eq(datasets.projectId, projectId), inArray(datasets.id, [...ids])));
  }

  page(projectId: string, after: { createdAt: Date; id: string } | null, limit: number): Promise<DatasetRow[]> {
    return this.db
      .select()
      .from(datasets)
      .where(and(eq(datasets.projectId, projectId), afterCreatedAt(datasets, after)))
      .orderBy(...newestFirst(datasets))
      .limit(limit);
  }

  count(projectId: string): Promise<number> {
    return this.db.$count(datasets, eq(datasets.projectId, projectId));
  }

  async insert(projectId: string, name: string, description: string | null): Promise<DatasetRow> {
    const [row] = await this.db.insert(datasets).values({ projectId, name, description }).returning();
    return row!;
  }

  versionsByIds(projectId: string, ids: readonly string[]): Promise<DatasetVersionRow[]> {
    return this.db.select().from(datasetVersions).where(and(eq(datasetVersions.projectId, projectId), inArray(datasetVersions.id, [...ids])));
  }

  latestReadyVersions(projectId: string, datasetIds: readonly string[]): Promise<DatasetVersionRow[]> {
    return this.db
      .selectDistinctOn([datasetVersions.datasetId])
      .from(datasetVersions)
      .where(and(eq(datasetVersions.projectId, projectId), inArray(datasetVersions.datasetId, [...datasetIds]), eq(datasetVersions.status, 'READY')))
      .orderBy(datasetVersions.datasetId, desc(datasetVersions.version));
  }

  /** Up to first + 1 versions of each dataset, newest first, in one statement. */
  versionPages(projectId: string, datasetIds: readonly string[], args: VersionPageArgs): Promise<DatasetVersionRow[]> {
    const pageIds = firstPerParent(
      this.db,
      datasetVersions,
      datasetVersions.id,
      datasetVersions.datasetId,
      [desc(datasetVersions.version)],
      and(
        eq(datasetVersions.projectId, projectId),
        inArray(datasetVersions.datasetId, [...datasetIds]),
        args.beforeVersion === null ? undefined : lt(datasetVersions.version, args.beforeVersion),
      ),
      args.first + 1,
    );
    return this.db.select().from(datasetVersions).where(inArray(datasetVersions.id, pageIds)).orderBy(desc(datasetVersions.version));
  }

  versionCounts(projectId: string, datasetIds: readonly string[]): Promise<{ datasetId: string; count: number }[]> {
    return this.db
      .select({ datasetId: datasetVersions.datasetId, count: count() })
      .from(datasetVersions)
      .where(and(eq(datasetVersions.projectId, projectId), inArray(datasetVersions.datasetId, [...datasetIds])))
      .groupBy(datasetVersions.datasetId);
  }

  /**
   * The next version of a dataset, numbered under a lock on the dataset row. `prepare` runs inside
   * the lock with the new number (to start a multipart upload); undefined when there is no such dataset.
   */
  appendVersion(
    projectId: string,
    datasetId: string,
    prepare: (version: number) => Promise<NewDatasetVersion>,
  ): Promise<DatasetVersionRow | undefined> {
    return this.db.transaction(async (tx) => {
      const [dataset] = await tx
        .select({ id: datasets.id })
        .from(datasets)
        .where(and(eq(datasets.projectId, projectId), eq(datasets.id, datasetId)))
        .for('update');
      if (!dataset) return undefined;
      const [{ latest } = { latest: 0 }] = await tx
        .select({ latest: max(datasetVersions.version) })
        .from(datasetVersions)
        .where(eq(datasetVersions.datasetId, datasetId));
      const version = (latest ?? 0) + 1;
      const values = await prepare(version);
      const [row] = await tx
        .insert(datasetVersions)
        .values({ projectId, datasetId, version, status: 'AWAITING_UPLOAD', ...values })
        .returning();
      return row;
    });
  }

  /**
   * AWAITING_UPLOAD -> VALIDATING once `check` passes, with the row locked so concurrent calls
   * run one after the other; a version past AWAITING_UPLOAD comes back unchanged.
   */
  completeUpload(
    projectId: string,
    id: string,
    check: (row: DatasetVersionRow) => Promise<void>,
  ): Promise<{ row: DatasetVersionRow; completed: boolean } | undefined> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .select()
        .from(datasetVersions)
        .where(and(eq(datasetVersions.projectId, projectId), eq(datasetVersions.id, id)))
        .for('update');
      if (!row) return undefined;
      if (row.status !== 'AWAITING_UPLOAD') return { row, completed: false };
      await check(row);
      const [updated] = await tx
        .update(datasetVersions)
        .set({ status: 'VALIDATING', uploadId: null })
        .where(eq(datasetVersions.id, id))
        .returning();
      return { row: updated!, completed: true };
    });
  }

  /**
   * Uploads started more than `olderThanSeconds` ago and never completed: each is cleaned up with
   * its row locked (a completion arriving meanwhile waits, then finds it settled), then FAILED.
   */
  sweepAbandoned(olderThanSeconds: number, limit: number, cleanup: (row: DatasetVersionRow) => Promise<void>): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = await tx
        .select()
        .from(datasetVersions)
        .where(and(eq(datasetVersions.status, 'AWAITING_UPLOAD'), lt(datasetVersions.createdAt, sql`now() - make_interval(secs => ${olderThanSeconds})`)))
        .orderBy(datasetVersions.createdAt)
        .limit(limit)
        .for('update', { skipLocked: true });
      for (const row of rows) {
        await cleanup(row);
        await tx
          .update(datasetVersions)
          .set({
            status: 'FAILED',
            uploadId: null,
            errors: [{ line: 0, message: 'The upload was never completed (completeDatasetUpload was not called before its URLs expired); start a new one with createDatasetUpload.' }],
          })
          .where(eq(datasetVersions.id, row.id));
      }
      return rows.length;
    });
  }

  /** Takes one VALIDATING version whose lease is free or expired, for `leaseSeconds`. */
  async claimValidation(leaseSeconds: number): Promise<DatasetVersionRow | undefined> {
    const free = this.db
      .select({ id: datasetVersions.id })
      .from(datasetVersions)
      .where(
        and(
          eq(datasetVersions.status, 'VALIDATING'),
          or(isNull(datasetVersions.leaseUntil), lt(datasetVersions.leaseUntil, sql`now()`)),
        ),
      )
      .orderBy(datasetVersions.createdAt)
      .limit(1)
      .for('update', { skipLocked: true });
    const [row] = await this.db
      .update(datasetVersions)
      .set({
        leaseUntil: sql`now() + make_interval(secs => ${leaseSeconds})`,
        validationAttempts: sql`${datasetVersions.validationAttempts} + 1`,
      })
      .where(inArray(datasetVersions.id, free))
      .returning();
    return row;
  }

  /**
   * The rows a claim may still change: a worker whose lease ran out and was taken over holds an
   * older attempt number, so its late writes match nothing.
   */
  private heldBy(claim: Pick<DatasetVersionRow, 'id' | 'validationAttempts'>) {
    return and(
      eq(datasetVersions.id, claim.id),
      eq(datasetVersions.status, 'VALIDATING'),
      eq(datasetVersions.validationAttempts, claim.validationAttempts),
    );
  }

  /** Holds the claim for `leaseSeconds` more; false when it was lost. */
  async extendLease(claim: DatasetVersionRow, leaseSeconds: number): Promise<boolean> {
    const rows = await this.db
      .update(datasetVersions)
      .set({ leaseUntil: sql`now() + make_interval(secs => ${leaseSeconds})` })
      .where(this.heldBy(claim))
      .returning({ id: datasetVersions.id });
    return rows.length > 0;
  }

  /** Lets another attempt take the version after `retryInSeconds`. */
  async releaseLease(claim: DatasetVersionRow, retryInSeconds: number): Promise<void> {
    await this.extendLease(claim, retryInSeconds);
  }

  /** Records the outcome once, if the claim is still held; false when another worker took the version over. */
  async finishValidation(claim: DatasetVersionRow, outcome: ValidationOutcome): Promise<boolean> {
    const rows = await this.db
      .update(datasetVersions)
      .set({ ...outcome, validatedAt: new Date(), leaseUntil: null })
      .where(this.heldBy(claim))
      .returning({ id: datasetVersions.id });
    return rows.length > 0;
  }
}
