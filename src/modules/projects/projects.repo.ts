import { asc, eq } from 'drizzle-orm';
import { projects, type ProjectRow } from '../../db/schema.js';
import { anyId, Repo } from '../../storage/postgres.js';

export class ProjectsRepo extends Repo {
  byIds(ids: readonly string[]): Promise<ProjectRow[]> {
    return this.prepared('byIds', () => this.db.select().from(projects).where(anyId(projects.id, 'ids')).prepare('projects_by_ids')).execute({ ids });
  }

  async byName(name: string): Promise<ProjectRow | undefined> {
    const [row] = await this.db.select().from(projects).where(eq(projects.name, name)).orderBy(asc(projects.createdAt)).limit(1);
    return row;
  }

  async insert(name: string): Promise<ProjectRow> {
    const [row] = await this.db.insert(projects).values({ name }).returning();
    return row!;
  }
}
