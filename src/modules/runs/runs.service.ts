import { notFound } from '../../common/errors.js';
import type { RunRow } from '../../db/schema.js';
import type { RunsRepo } from './runs.repo.js';

export class RunsService {
  constructor(private readonly repo: RunsRepo) {}

  /** The run, or NOT_FOUND when it is not in the project. */
  async get(projectId: string, runId: string): Promise<RunRow> {
    const [row] = await this.repo.byIds(projectId, [runId]);
    if (!row) throw notFound('Run', runId);
    return row;
  }
}
