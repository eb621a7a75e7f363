import { notFound } from '../../common/errors.js';
import type { ExperimentRow } from '../../db/schema.js';
import type { LabPubSub } from '../../storage/pubsub.js';
import type { ExperimentFilter, ExperimentsRepo } from './experiments.repo.js';

export interface NewExperiment {
  name: string;
  description?: string | null;
  hypothesis?: string | null;
  tags?: string[] | null;
}

/** The fields to change; undefined leaves a field as it is, and null clears a nullable one. */
export interface ExperimentChanges {
  name?: string | null;
  description?: string | null;
  hypothesis?: string | null;
  tags?: string[] | null;
}

const trimmed = (text: string | null | undefined) => (text == null ? text : text.trim());
const uniqueTags = (tags: string[]) => [...new Set(tags.map((t) => t.trim()))];

export class ExperimentsService {
  constructor(
    private readonly repo: ExperimentsRepo,
    private readonly pubsub: LabPubSub,
  ) {}

  /** Newest first: up to `limit` experiments after the (createdAt, id) keyset. */
  list(projectId: string, filter: ExperimentFilter, after: { createdAt: Date; id: string } | null, limit: number): Promise<ExperimentRow[]> {
    return this.repo.page(projectId, this.normalised(filter), after, limit);
  }

  count(projectId: string, filter: ExperimentFilter): Promise<number> {
    return this.repo.count(projectId, this.normalised(filter));
  }

  create(projectId: string, input: NewExperiment): Promise<ExperimentRow> {
    return this.repo.insert(projectId, {
      name: input.name.trim(),
      description: trimmed(input.description) ?? null,
      hypothesis: trimmed(input.hypothesis) ?? null,
      tags: uniqueTags(input.tags ?? []),
    });
  }

  async update(projectId: string, id: string, input: ExperimentChanges): Promise<ExperimentRow> {
    const row = await this.repo.update(projectId, id, {
      ...(input.name != null && { name: input.name.trim() }),
      ...(input.description !== undefined && { description: trimmed(input.description) }),
      ...(input.hypothesis !== undefined && { hypothesis: trimmed(input.hypothesis) }),
      ...(input.tags != null && { tags: uniqueTags(input.tags) }),
    });
    return this.changed(id, row);
  }

  async archive(projectId: string, id: string): Promise<ExperimentRow> {
    return this.changed(id, await this.repo.update(projectId, id, { archivedAt: new Date() }));
  }

  /** The project's experiment; NOT_FOUND otherwise. */
  async get(projectId: string, id: string): Promise<ExperimentRow> {
    const [row] = await this.repo.byIds(projectId, [id]);
    if (!row) throw notFound('Experiment', id);
    return row;
  }

  private normalised(filter: ExperimentFilter): ExperimentFilter {
    return { ...filter, search: trimmed(filter.search) };
  }

  private changed(id: string, row: ExperimentRow | undefined): ExperimentRow {
    if (!row) throw notFound('Experiment', id);
    this.pubsub.publish('experiment:updated', row.id, { experimentId: row.id });
    return row;
  }
}
