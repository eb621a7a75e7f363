import { and, count, desc, eq, inArray, lt, max, sql } from 'drizzle-orm';
import { prompts, promptVersions, type PromptRow, type PromptVersionRow } from '../../db/schema.js';
import { Repo } from '../../storage/postgres.js';
import { afterCreatedAt, firstPerParent, newestFirst } from '../common/keyset.js';

export interface VersionsPageArgs {
  /** Rows per prompt (callers ask for the page size + 1). */
  limit: number;
  /** Versions below this number (the cursor's), newest first. */
  beforeVersion: number | null;
}

export type NewVersion = { system: string | null; template: string; variables: string[] };

export class PromptsRepo extends Repo {
  byIds(projectId: string, ids: readonly string[]): Promise<PromptRow[]> {
    return this.db.select().from(prompts).where(and(eq(prompts.projectId, projectId), inArray(prompts.id, [...ids])));
  }

  page(projectId: string, after: { createdAt: Date; id: string } | null, limit: number): Promise<PromptRow[]> {
    return this.db
      .select()
      .from(prompts)
      .where(and(eq(prompts.projectId, projectId), afterCreatedAt(prompts, after)))
      .orderBy(...newestFirst(prompts))
      .limit(limit);
  }

  count(projectId: string): Promise<number> {
    return this.db.$count(prompts, eq(prompts.projectId, projectId));
  }

  versionsByIds(projectId: string, ids: readonly string[]): Promise<PromptVersionRow[]> {
    return this.db.select().from(promptVersions).where(and(eq(promptVersions.projectId, projectId), inArray(promptVersions.id, [...ids])));
  }

  latestVersions(projectId: string, promptIds: readonly string[]): Promise<PromptVersionRow[]> {
    return this.db
      .selectDistinctOn([promptVersions.promptId])
      .from(promptVersions)
      .where(and(eq(promptVersions.projectId, projectId), inArray(promptVersions.promptId, [...promptIds])))
      .orderBy(promptVersions.promptId, desc(promptVersions.version));
  }

  /** Up to `limit` versions of each prompt, newest first, in one statement. */
  versionPages(projectId: string, promptIds: readonly string[], args: VersionsPageArgs): Promise<PromptVersionRow[]> {
    const pageIds = firstPerParent(
      promptVersions,
      promptVersions.id,
      promptVersions.promptId,
      promptIds,
      [desc(promptVersions.version)],
      and(eq(promptVersions.projectId, projectId), args.beforeVersion === null ? undefined : lt(promptVersions.version, args.beforeVersion)),
      args.limit,
    );
    return this.db.select().from(promptVersions).where(sql`${promptVersions.id} in (${pageIds})`).orderBy(desc(promptVersions.version));
  }

  versionCounts(projectId: string, promptIds: readonly string[]): Promise<{ promptId: string; count: number }[]> {
    return this.db
      .select({ promptId: promptVersions.promptId, count: count() })
      .from(promptVersions)
      .where(and(eq(promptVersions.projectId, projectId), inArray(promptVersions.promptId, [...promptIds])))
      .groupBy(promptVersions.promptId);
  }

  async insertPrompt(projectId: string, name: string, description: string | null): Promise<PromptRow> {
    const [row] = await this.db.insert(prompts).values({ projectId, name, description }).returning();
    return row!;
  }

  async insertVersion(projectId: string, promptId: string, version: number, values: NewVersion): Promise<PromptVersionRow> {
    const [row] = await this.db.insert(promptVersions).values({ projectId, promptId, version, ...values }).returning();
    return row!;
  }

  /** Locks the prompt row until the transaction ends (versions are numbered under it); false when there is no such prompt. */
  async lock(projectId: string, promptId: string): Promise<boolean> {
    const rows = await this.db
      .select({ id: prompts.id })
      .from(prompts)
      .where(and(eq(prompts.projectId, projectId), eq(prompts.id, promptId)))
      .for('update');
    return rows.length > 0;
  }

  async latestVersionNumber(promptId: string): Promise<number> {
    const [{ latest } = { latest: 0 }] = await this.db.select({ latest: max(promptVersions.version) }).from(promptVersions).where(eq(promptVersions.promptId, promptId));
    return latest ?? 0;
  }
}
