import { notFound } from '../../common/errors.js';
import { NodeType, toGlobalId } from '../../common/global-id.js';
import type { LabPubSub } from '../../storage/pubsub.js';
import { createdAtKeyset, createdAtSortKey, parsePageArgs, toPage, type Page } from '../common/connection.js';
import type { CreateExperimentInput, UpdateExperimentInput } from './experiments.inputs.js';
import type { ExperimentFilter, ExperimentsRepo } from './experiments.repo.js';
import { Experiment } from './experiments.types.js';

export interface ListExperimentsArgs extends ExperimentFilter {
  first?: number | null;
  after?: string | null;
}

const trimmed = (text: string | null | undefined) => (text == null ? text : text.trim());
const uniqueTags = (tags: string[]) => [...new Set(tags.map((t) => t.trim()))];

export class ExperimentsService {
  constructor(
    private readonly repo: ExperimentsRepo,
    private readonly pubsub: LabPubSub,
  ) {}

  async list(projectId: string, args: ListExperimentsArgs): Promise<Page<Experiment>> {
    const page = parsePageArgs(args.first, args.after);
    const filter: ExperimentFilter = { search: trimmed(args.search), tags: args.tags, includeArchived: args.includeArchived };
    const rows = await this.repo.page(projectId, filter, createdAtKeyset(page.after), page.first + 1);
    return toPage(rows, page, createdAtSortKey, Experiment.fromRow, () => this.repo.count(projectId, filter));
  }

  async create(projectId: string, input: CreateExperimentInput): Promise<Experiment> {
    const row = await this.repo.insert(projectId, {
      name: input.name.trim(),
      description: trimmed(input.description) ?? null,
      hypothesis: trimmed(input.hypothesis) ?? null,
      tags: uniqueTags(input.tags ?? []),
    });
    return Experiment.fromRow(row);
  }

  async update(projectId: string, id: string, input: UpdateExperimentInput): Promise<Experiment> {
    const row = await this.repo.update(projectId, id, {
      ...(input.name != null && { name: input.name.trim() }),
      ...(input.description !== undefined && { description: trimmed(input.description) }),
      ...(input.hypothesis !== undefined && { hypothesis: trimmed(input.hypothesis) }),
      ...(input.tags != null && { tags: uniqueTags(input.tags) }),
    });
    return this.changed(id, row);
  }

  async archive(projectId: string, id: string): Promise<Experiment> {
    return this.changed(id, await this.repo.update(projectId, id, { archivedAt: new Date() }));
  }

  private changed(id: string, row: Awaited<ReturnType<ExperimentsRepo['update']>>): Experiment {
    if (!row) throw notFound('Experiment', toGlobalId(NodeType.Experiment, id));
    this.pubsub.publish('experiment:updated', row.id, { experimentId: row.id });
    return Experiment.fromRow(row);
  }
}
