import { and, desc, eq, lt, max, sql } from 'drizzle-orm';
import { datasets, datasetVersions, type DatasetRow, type DatasetVersionRow } from '../../db/schema.js';
import { anyId, Repo } from '../../storage/postgres.js';
import { Leases } from '../../workflow/leases.js';
import { eachParent, fieldsOf, parentId, parentPosition } from '../common/keyset.js';
import { ProjectList } from '../common/project-list.js';

export interface VersionPageArgs {
  /** Versions below this number (the cursor's), newest first. */
  beforeVersion: number | null;
  /** Only READY versions (the newest READY one is `latestVersion`). */
  readyOnly: boolean;
}

export type NewDatasetVersion = Pick<
  typeof datasetVersions.$inferInsert,
  'format' | 'blobKey' | 'uploadId' | 'partSizeBytes' | 'sizeBytes' | 'declaredSha256'
>;

export type ValidationOutcome = Pick<DatasetVersionRow, 'status' | 'sha256' | 'rowCount' | 'columns' | 'errors'>;

const p = sql.placeholder;

export class DatasetsRepo extends Repo {
  byIds(projectId: string, ids: readonly string[]): Promise<DatasetRow[]> {
    return this.prepared('byIds', () =>
      this.db.select().from(datasets).where(and(eq(datasets.projectId, p('projectId')), anyId(datasets.id, 'ids'))).prepare('datasets_by_ids'),
    ).execute({ projectId, ids });
  }

  private readonly list = new ProjectList<DatasetRow>(this.db, datasets, 'datasets');

  page(projectId: string, after: { createdAt: Date; id: string } | null, limit: number): Promise<DatasetRow[]> {
    return this.list.page(projectId, after, limit);
  }

  count(projectId: string): Promise<number> {
    return this.list.count(projectId);
  }

  async insert(projectId: string, name: string, description: string | null): Promise<DatasetRow> {
    const [row] = await this.db.insert(datasets).values({ projectId, name, description }).returning();
    return row!;
  }

  versionsByIds(projectId: string, ids: readonly string[]): Promise<DatasetVersionRow[]> {
    return this.prepared('versionsByIds', () =>
      this.db
        .select()
        .from(datasetVersions)
        .where(and(eq(datasetVersions.projectId, p('projectId')), anyId(datasetVersions.id, 'ids')))
        .prepare('dataset_versions_by_ids'),
    ).execute({ projectId, ids });
  }

  /** Up to `limit` versions of each dataset, newest first, in one statement. */
  versionPages(projectId: string, datasetIds: readonly string[], args: VersionPageArgs, limit: number): Promise<DatasetVersionRow[]> {
    const statement = this.prepared(`versionPages|${args.beforeVersion === null ? 'first' : 'before'}|${args.readyOnly ? 'ready' : 'all'}`, () => {
      const page = this.db
        .select()
        .from(datasetVersions)
        .where(
          and(
            eq(datasetVersions.datasetId, parentId),
            eq(datasetVersions.projectId, p('projectId')),
            args.beforeVersion === null ? undefined : lt(datasetVersions.version, p('beforeVersion')),
            args.readyOnly ? eq(datasetVersions.status, 'READY') : undefined,
          ),
        )
        .orderBy(desc(datasetVersions.version))
        .limit(p('limit'))
        .as('page');
      return this.db.select(fieldsOf(page)).from(eachParent).crossJoinLateral(page).orderBy(parentPosition, desc(page.version)).prepare('dataset_version_pages');
    });
    return statement.execute({ projectId, parentIds: datasetIds, beforeVersion: args.beforeVersion, limit });
  }

  versionCounts(projectId: string, datasetIds: readonly string[]): Promise<{ parentId: string; count: number }[]> {
    return this.prepared('versionCounts', () =>
      this.db
        .select({ parentId: datasetVersions.datasetId, count: sql<number>`count(*)::int` })
        .from(datasetVersions)
        .where(and(eq(datasetVersions.projectId, p('projectId')), anyId(datasetVersions.datasetId, 'datasetIds')))
        .groupBy(datasetVersions.datasetId)
        .prepare('dataset_version_counts'),
    ).execute({ projectId, datasetIds });
  }

  /** Locks the dataset row until the transaction ends (versions are numbered under it); false when there is no such dataset. */
  async lockDataset(projectId: string, datasetId: string): Promise<boolean> {
    const rows = await this.db
      .select({ id: datasets.id })
      .from(datasets)
      .where(and(eq(datasets.projectId, projectId), eq(datasets.id, datasetId)))
      .for('update');
    return rows.length > 0;
  }

  async latestVersionNumber(datasetId: string): Promise<number> {
    const [{ latest } = { latest: 0 }] = await this.db
      .select({ latest: max(datasetVersions.version) })
      .from(datasetVersions)
      .where(eq(datasetVersions.datasetId, datasetId));
    return latest ?? 0;
  }

  async insertVersion(projectId: string, datasetId: string, version: number, values: NewDatasetVersion): Promise<DatasetVersionRow> {
    const [row] = await this.db
      .insert(datasetVersions)
      .values({ projectId, datasetId, version, status: 'AWAITING_UPLOAD', ...values })
      .returning();
    return row!;
  }

  /** Records the multipart upload started for a version that awaits its file; false when the version moved on. */
  async recordMultipart(id: string, uploadId: string, partSizeBytes: number): Promise<boolean> {
    const rows = await this.db
      .update(datasetVersions)
      .set({ uploadId, partSizeBytes })
      .where(and(eq(datasetVersions.id, id), eq(datasetVersions.status, 'AWAITING_UPLOAD')))
      .returning({ id: datasetVersions.id });
    return rows.length > 0;
  }

  /** A version that could not get its upload started: FAILED, saying why. */
  async failUpload(id: string, message: string): Promise<void> {
    await this.db
      .update(datasetVersions)
      .set({ status: 'FAILED', uploadId: null, errors: [{ line: 0, message }] })
      .where(and(eq(datasetVersions.id, id), eq(datasetVersions.status, 'AWAITING_UPLOAD')));
  }

  /** Takes the completion of one version that awaits its file, unless another completion (or the sweep) holds it. */
  async claimCompletion(projectId: string, id: string, leaseSeconds: number): Promise<DatasetVersionRow | undefined> {
    const [row] = await uploadLeases.claim(this.db, {
      where: and(eq(datasetVersions.projectId, projectId), eq(datasetVersions.id, id), eq(datasetVersions.status, 'AWAITING_UPLOAD')),
      order: [datasetVersions.id],
      limit: 1,
      leaseSeconds,
    });
    return row;
  }

  /** Uploads started more than `olderThanSeconds` ago and never completed, taken under a lease for the sweep. */
  claimAbandoned(olderThanSeconds: number, limit: number, leaseSeconds: number): Promise<DatasetVersionRow[]> {
    return uploadLeases.claim(this.db, {
      where: and(eq(datasetVersions.status, 'AWAITING_UPLOAD'), lt(datasetVersions.createdAt, sql`now() - make_interval(secs => ${olderThanSeconds})`)),
      order: [datasetVersions.createdAt],
      limit,
      leaseSeconds,
    });
  }

  /** Holds an upload's completion or sweep `leaseSeconds` more; false when it was lost. */
  renewUploadLease(claim: DatasetVersionRow, leaseSeconds: number): Promise<boolean> {
    return uploadLeases.renew(this.db, uploadLeases.claimOf(claim), leaseSeconds, awaitingUpload);
  }

  /** Gives a claimed upload back, still awaiting its file. */
  releaseUpload(claim: DatasetVersionRow): Promise<boolean> {
    return uploadLeases.release(this.db, uploadLeases.claimOf(claim), 0, awaitingUpload);
  }

  /** AWAITING_UPLOAD -> VALIDATING, if the claim still holds; the attempts start again for validation. */
  async finishCompletion(claim: DatasetVersionRow): Promise<DatasetVersionRow | undefined> {
    const [row] = await this.db
      .update(datasetVersions)
      .set({ status: 'VALIDATING', uploadId: null, leaseUntil: null, validationAttempts: 0 })
      .where(uploadLeases.heldBy(uploadLeases.claimOf(claim), awaitingUpload))
      .returning();
    return row;
  }

  /** AWAITING_UPLOAD -> FAILED for a swept upload, if the claim still holds. */
  finishAbandoned(claim: DatasetVersionRow): Promise<boolean> {
    return uploadLeases.finish(
      this.db,
      uploadLeases.claimOf(claim),
      {
        status: 'FAILED',
        uploadId: null,
        errors: [{ line: 0, message: 'The upload was never completed (completeDatasetUpload was not called before its URLs expired); start a new one with createDatasetUpload.' }],
      },
      awaitingUpload,
    );
  }

  /** Takes one VALIDATING version whose lease is free or expired, for `leaseSeconds`. */
  async claimValidation(leaseSeconds: number): Promise<DatasetVersionRow | undefined> {
    const [row] = await uploadLeases.claim(this.db, { where: validating, order: [datasetVersions.createdAt], limit: 1, leaseSeconds });
    return row;
  }

  /** Holds the claim for `leaseSeconds` more; false when it was lost. */
  extendLease(claim: DatasetVersionRow, leaseSeconds: number): Promise<boolean> {
    return uploadLeases.renew(this.db, uploadLeases.claimOf(claim), leaseSeconds, validating);
  }

  /** Lets another attempt take the version after `retryInSeconds` (at once with 0). */
  async releaseLease(claim: DatasetVersionRow, retryInSeconds: number): Promise<void> {
    await uploadLeases.release(this.db, uploadLeases.claimOf(claim), retryInSeconds, validating);
  }

  /** Records the outcome once, if the claim is still held; false when another worker took the version over. */
  finishValidation(claim: DatasetVersionRow, outcome: ValidationOutcome): Promise<boolean> {
    return uploadLeases.finish(this.db, uploadLeases.claimOf(claim), { ...outcome, validatedAt: new Date() }, validating);
  }
}

/**
 * One lease on a version, whatever works on it: a completion or the sweep while it awaits its
 * file, a validation worker while it is VALIDATING. Each claim takes the next attempt number.
 */
const uploadLeases = new Leases({ table: datasetVersions, columns: { id: 'id', leaseUntil: 'leaseUntil', attempts: 'validationAttempts' } });
const awaitingUpload = eq(datasetVersions.status, 'AWAITING_UPLOAD');
const validating = eq(datasetVersions.status, 'VALIDATING');
