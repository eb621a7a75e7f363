import type { Logger } from 'pino';
import type { Job } from './worker.js';

/** A periodic clean-up: settles up to `batch` rows a run, and runs again at once while batches come back full. */
export class SweepJob implements Job {
  readonly idlePollMs = 60_000;

  constructor(
    readonly name: string,
    private readonly batch: number,
    private readonly sweep: (batch: number) => Promise<number>,
    private readonly logger: Logger,
  ) {}

  async runOnce(): Promise<boolean> {
    const swept = await this.sweep(this.batch);
    if (swept > 0) this.logger.info({ job: this.name, swept }, 'swept');
    return swept === this.batch;
  }
}
