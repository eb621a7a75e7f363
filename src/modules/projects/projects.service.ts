import type { ProjectRow } from '../../db/schema.js';
import type { ProjectsRepo } from './projects.repo.js';

export class ProjectsService {
  constructor(private readonly repo: ProjectsRepo) {}

  create(name: string): Promise<ProjectRow> {
    return this.repo.insert(name.trim());
  }

  async exists(id: string): Promise<boolean> {
    return (await this.repo.byIds([id])).length > 0;
  }

  /** The oldest project of that name, or a new one: how `dev` and `api-key create --project` find theirs. */
  async findOrCreate(name: string): Promise<ProjectRow> {
    return (await this.repo.byName(name.trim())) ?? this.create(name);
  }
}
