import { addAbortSignal } from 'node:stream';
import type { Logger } from 'pino';
import type { DatasetVersionRow } from '../../db/schema.js';
import type { BlobStore } from '../../storage/blobs/index.js';
import { holdLease, LeaseLostError } from '../../workflow/leases.js';
import type { Job } from '../../workflow/worker.js';
import { validateDataset } from './dataset-validation.js';
import type { DatasetsRepo, ValidationOutcome } from './datasets.repo.js';

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
function unreadable(attempts: number): ValidationOutcome {
  return failedWith(`The stored file could not be read after ${attempts} attempts; upload it again, or ask an operator to check the worker logs.`);
}

/** Attempts that ended without a result (a worker died, or the database did not take the result): nothing is known of the file. */
function unfinished(attempts: number): ValidationOutcome {
  return failedWith(
    `Validation did not finish after ${attempts} attempts, for reasons on the lab's side rather than in the file; upload it again, or ask an operator to check the worker logs.`,
  );
}

function failedWith(message: string): ValidationOutcome {
  return { status: 'FAILED', sha256: null, rowCount: null, columns: [], errors: [{ line: 0, message }] };
}

/** PostgreSQL text cannot hold NUL, which a file's column names or the parser's messages may quote. */
function storable(outcome: ValidationOutcome): ValidationOutcome {
  const clean = (text: string) => text.replaceAll('\0', '\uFFFD');
  return { ...outcome, columns: outcome.columns.map(clean), errors: outcome.errors.map((e) => ({ line: e.line, message: clean(e.message) })) };
}

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
      await this.repo.finishValidation(claim, unfinished(MAX_VALIDATION_ATTEMPTS));
      return true;
    }
    const lease = holdLease({ id: claim.id, attempt: claim.validationAttempts }, () => this.repo.extendLease(claim, this.lease.leaseSeconds), {
      everyMs: this.lease.heartbeatMs,
      parent: signal,
      onRenewError: (err) => log.warn({ err }, 'could not extend the validation lease'),
    });
    try {
      const started = Date.now();
      let outcome: ValidationOutcome;
      try {
        outcome = await this.validate(claim, lease.signal);
      } catch (err) {
        await this.readFailed(claim, lease.signal, err, log);
        return true;
      }
      try {
        const recorded = await this.repo.finishValidation(claim, storable(outcome));
        if (recorded) log.info({ ms: Date.now() - started }, 'dataset version validated');
        else log.warn('the validation lease was lost to another worker; its result stands');
      } catch (err) {
        // The file was read; the database did not take the result. That is the lab's failure, not the
        // file's: the version goes back to the queue, and once its attempts are spent it fails as unfinished.
        log.error({ err }, 'could not record the dataset validation result; it will be tried again');
        await this.repo.releaseLease(claim, RETRY_AFTER_SECONDS);
      }
    } finally {
      lease.stop();
    }
    return true;
  }

  /** A read or parse that threw: the lease was lost, the worker is stopping, or the store failed. */
  private async readFailed(claim: DatasetVersionRow, signal: AbortSignal, err: unknown, log: Logger): Promise<void> {
    if (signal.reason instanceof LeaseLostError) {
      log.warn('the validation lease was lost to another worker; this attempt stopped');
    } else if (signal.aborted) {
      log.info('worker stopping; the version goes back to the queue');
      await this.repo.releaseLease(claim, 0);
    } else if (claim.validationAttempts >= MAX_VALIDATION_ATTEMPTS) {
      log.error({ err }, 'dataset validation failed for the last time');
      await this.repo.finishValidation(claim, unreadable(claim.validationAttempts));
    } else {
      log.warn({ err }, 'dataset validation failed; it will be tried again');
      await this.repo.releaseLease(claim, RETRY_AFTER_SECONDS);
    }
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
