import { asc, eq, inArray } from 'drizzle-orm';
import { projects, type ProjectRow } from '../../db/schema.js';
import { Repo } from '../../storage/postgres.js';

export class ProjectsRepo extends Repo {
  byIds(ids: readonly string[]): Promise<ProjectRow[]> {
    return this.db.select().from(projects).where(inArray(projects.id, [...ids]));
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
