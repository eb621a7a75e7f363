import { addAbortSignal } from 'node:stream';
import type { Logger } from 'pino';
import type { DatasetVersionRow } from '../../db/schema.js';
import type { BlobStore } from '../../storage/blobs/index.js';
import { holdLease, LeaseLostError } from '../../workflow/leases.js';
import type { Job } from '../../workflow/worker.js';
import { validateDataset } from './dataset-validation.js';
import type { DatasetsRepo } from './datasets.repo.js';

/** How long a claimed validation is held, and how often a running one renews the hold. */
export interface ValidationLease {
  leaseSeconds: number;
  heartbeatMs: number;
}
const DEFAULT_LEASE: ValidationLease = { leaseSeconds: 120, heartbeatMs: 30_000 };
/** Attempts that fail for reasons other than the file (store unreachable, worker killed) before FAILED. */
export const MAX_VALIDATION_ATTEMPTS = 3;
const RETRY_AFTER_SECONDS = 10;

/** The store's own error stays in the worker's log: its text may name internal hosts. */
const unreadable = (attempts: number) => ({
  status: 'FAILED' as const,
  sha256: null,
  rowCount: null,
  columns: [],
  errors: [{ line: 0, message: `The stored file could not be read after ${attempts} attempts; upload it again, or ask an operator to check the worker logs.` }],
});

/**
 * Validates uploaded dataset versions: claims one VALIDATING version under a lease (so a crashed
 * worker's version is taken over when the lease runs out), streams its file through the
 * validator, and records READY or FAILED with the errors by line.
 */
export class DatasetValidationJob implements Job {
  readonly name = 'dataset-validation';
  readonly wakeTopic = 'jobs:dataset-validation';

  constructor(
    private readonly repo: DatasetsRepo,
    private readonly blobs: BlobStore,
    private readonly maxRowBytes: number,
    private readonly logger: Logger,
    private readonly lease: ValidationLease = DEFAULT_LEASE,
  ) {}

  /**
   * Validates one waiting version; false when none was waiting. The work stops when the lease is
   * lost (another worker took the version over) or `signal` aborts (the worker is stopping: the
   * version goes back to the queue at once).
   */
  async runOnce(signal?: AbortSignal): Promise<boolean> {
    const claim = await this.repo.claimValidation(this.lease.leaseSeconds);
    if (!claim) return false;
    const log = this.logger.child({ datasetVersionId: claim.id, attempt: claim.validationAttempts });
    // A version claimed more often than allowed took its workers down (killed, out of memory): stop there.
    if (claim.validationAttempts > MAX_VALIDATION_ATTEMPTS) {
      log.error('dataset validation never finished; marking the version FAILED');
      await this.repo.finishValidation(claim, unreadable(MAX_VALIDATION_ATTEMPTS));
      return true;
    }
    const lease = holdLease({ id: claim.id, attempt: claim.validationAttempts }, () => this.repo.extendLease(claim, this.lease.leaseSeconds), {
      everyMs: this.lease.heartbeatMs,
      parent: signal,
      onRenewError: (err) => log.warn({ err }, 'could not extend the validation lease'),
    });
    try {
      const started = Date.now();
      const recorded = await this.repo.finishValidation(claim, await this.validate(claim, lease.signal));
      if (recorded) log.info({ ms: Date.now() - started }, 'dataset version validated');
      else log.warn('the validation lease was lost to another worker; its result stands');
    } catch (err) {
      if (lease.signal.reason instanceof LeaseLostError) {
        log.warn('the validation lease was lost to another worker; this attempt stopped');
      } else if (lease.signal.aborted) {
        log.info('worker stopping; the version goes back to the queue');
        await this.repo.releaseLease(claim, 0);
      } else if (claim.validationAttempts >= MAX_VALIDATION_ATTEMPTS) {
        log.error({ err }, 'dataset validation failed for the last time');
        await this.repo.finishValidation(claim, unreadable(claim.validationAttempts));
      } else {
        log.warn({ err }, 'dataset validation failed; it will be tried again');
        await this.repo.releaseLease(claim, RETRY_AFTER_SECONDS);
      }
    } finally {
      lease.stop();
    }
    return true;
  }

  private async validate(row: DatasetVersionRow, signal: AbortSignal) {
    signal.throwIfAborted();
    const file = addAbortSignal(signal, await this.blobs.read(row.blobKey));
    const result = await validateDataset(file, row.format, { maxRowBytes: this.maxRowBytes });
    // Line 0 stands for the whole file.
    const fileErrors = [];
    if (result.sizeBytes !== row.sizeBytes) {
      fileErrors.push({ line: 0, message: `The stored file has ${result.sizeBytes} bytes, but ${row.sizeBytes} were declared; upload it again.` });
    }
    if (row.declaredSha256 && result.sha256 !== row.declaredSha256) {
      fileErrors.push({
        line: 0,
        message: `The file's SHA-256 is ${result.sha256}, but the upload declared ${row.declaredSha256}; the file changed on the way or the declared digest is wrong. Upload it again.`,
      });
    }
    const errors = [...fileErrors, ...result.errors].slice(0, 100);
    const valid = errors.length === 0 && result.errorCount === 0;
    return {
      status: valid ? ('READY' as const) : ('FAILED' as const),
      sha256: result.sha256,
      rowCount: result.rowCount,
      columns: result.columns,
      errors,
    };
  }
}
