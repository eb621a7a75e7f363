import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Logger } from 'pino';
import { badInput, conflict, notFound } from '../../common/errors.js';
import type { ArtifactRow } from '../../db/schema.js';
import { MAX_URL_EXPIRY_SECONDS, type BlobStore, type PresignedRequest } from '../../storage/blobs/index.js';
import { isUniqueViolation } from '../../storage/postgres.js';
import type { RunsService } from '../runs/runs.service.js';
import type { ArtifactsRepo } from './artifacts.repo.js';

export interface NewArtifactUpload {
  name: string;
  contentType: string;
  sizeBytes: number;
}

export class ArtifactsService {
  constructor(
    private readonly repo: ArtifactsRepo,
    private readonly runs: RunsService,
    private readonly blobs: BlobStore,
    private readonly maxUploadBytes: number,
    private readonly logger: Logger,
  ) {}

  /** An artifact AWAITING_UPLOAD on a run of the project, and the presigned PUT for its bytes. */
  async createUpload(projectId: string, runId: string, input: NewArtifactUpload): Promise<{ artifact: ArtifactRow; put: PresignedRequest }> {
    const run = await this.runs.get(projectId, runId);
    if (input.sizeBytes > this.maxUploadBytes) {
      throw badInput(`sizeBytes: ${input.sizeBytes} is more than the ${this.maxUploadBytes} bytes allowed (LAB_MAX_UPLOAD_BYTES).`, 'sizeBytes');
    }
    const id = randomUUID();
    const blobKey = `projects/${projectId}/runs/${run.id}/artifacts/${id}`;
    const put = await this.blobs.presignPut({ key: blobKey, sizeBytes: input.sizeBytes, contentType: input.contentType });
    try {
      const artifact = await this.repo.insert({ id, projectId, runId: run.id, name: input.name.trim(), contentType: input.contentType, sizeBytes: input.sizeBytes, blobKey });
      return { artifact, put };
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`name: the run already has an artifact named "${input.name.trim()}"; choose another name.`);
      throw err;
    }
  }

  /**
   * Stores a file the lab made for a run (results.jsonl) from a local file, and lists it READY.
   * Only one writer per run and name at a time (the run finisher's lease), so replacing is safe.
   */
  async storeGenerated(projectId: string, runId: string, name: string, contentType: string, file: { path: string; sizeBytes: number; sha256: string }): Promise<ArtifactRow> {
    const blobKey = `projects/${projectId}/runs/${runId}/${name}`;
    await this.blobs.delete(blobKey);
    await this.blobs.put(blobKey, createReadStream(file.path), contentType, file.sizeBytes);
    return this.repo.upsertReady({ id: randomUUID(), projectId, runId, name, contentType, sizeBytes: file.sizeBytes, sha256: file.sha256, blobKey });
  }

  /** Checks the bytes arrived with the declared size, then lists the artifact on its run. */
  async completeUpload(projectId: string, artifactId: string): Promise<ArtifactRow> {
    const [row] = await this.repo.byIds(projectId, [artifactId]);
    if (!row) throw notFound('Artifact', artifactId);
    if (row.status === 'READY') return row;
    const head = await this.blobs.head(row.blobKey);
    if (!head) throw badInput('No file has been uploaded for this artifact yet: PUT it to the URL from createArtifactUpload, then call completeArtifactUpload again.');
    if (head.sizeBytes !== row.sizeBytes) {
      throw badInput(`The uploaded file has ${head.sizeBytes} bytes, but ${row.sizeBytes} were declared; upload the whole file again.`);
    }
    const ready = await this.repo.markReady(projectId, row.id);
    if (ready) return ready;
    // Completed by a concurrent call (READY), or swept as abandoned meanwhile (gone).
    const [now] = await this.repo.byIds(projectId, [artifactId]);
    if (!now) throw notFound('Artifact', artifactId);
    return now;
  }

  async downloadUrl(row: ArtifactRow, expiresInSeconds: number): Promise<string> {
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_URL_EXPIRY_SECONDS) {
      throw badInput(`expiresInSeconds: must be between 1 and ${MAX_URL_EXPIRY_SECONDS} (7 days); got ${expiresInSeconds}.`, 'expiresInSeconds');
    }
    if (row.status !== 'READY') throw conflict('The artifact has not been uploaded yet: PUT its bytes, then call completeArtifactUpload.');
    return (await this.blobs.presignGet({ key: row.blobKey, expiresInSeconds, fileName: row.name })).url;
  }

  /**
   * Removes up to `limit` artifacts never completed `olderThanSeconds` after they started: the rows
   * first (they were never listed on their run), then their bytes. Returns how many were removed.
   */
  async sweepAbandoned(olderThanSeconds: number, limit: number): Promise<number> {
    const removed = await this.repo.deleteAbandoned(olderThanSeconds, limit);
    for (const row of removed) {
      // Bytes left by a failed delete are unreachable (no row names them); the log says which.
      await this.blobs.delete(row.blobKey).catch((err: unknown) => this.logger.warn({ err, blobKey: row.blobKey }, 'could not delete the bytes of an abandoned artifact'));
    }
    return removed.length;
  }
}
