import { and, desc, eq, getTableColumns, lt, max, sql } from 'drizzle-orm';
import { prompts, promptVersions, type PromptRow, type PromptVersionRow } from '../../db/schema.js';
import { anyId, Repo } from '../../storage/postgres.js';
import { eachParent, fieldsOf, parentId, parentPosition } from '../common/keyset.js';
import { ProjectList } from '../common/project-list.js';

export interface VersionsPageArgs {
  /** Versions below this number (the cursor's), newest first. */
  beforeVersion: number | null;
}

export type NewVersion = { system: string | null; template: string; variables: string[] };

const p = sql.placeholder;

export class PromptsRepo extends Repo {
  byIds(projectId: string, ids: readonly string[]): Promise<PromptRow[]> {
    return this.prepared('byIds', () =>
      this.db.select().from(prompts).where(and(eq(prompts.projectId, p('projectId')), anyId(prompts.id, 'ids'))).prepare('prompts_by_ids'),
    ).execute({ projectId, ids });
  }

  private readonly list = new ProjectList<PromptRow>(this.db, prompts, 'prompts');

  page(projectId: string, after: { createdAt: Date; id: string } | null, limit: number): Promise<PromptRow[]> {
    return this.list.page(projectId, after, limit);
  }

  count(projectId: string): Promise<number> {
    return this.list.count(projectId);
  }

  versionsByIds(projectId: string, ids: readonly string[]): Promise<PromptVersionRow[]> {
    return this.prepared('versionsByIds', () =>
      this.db
        .select()
        .from(promptVersions)
        .where(and(eq(promptVersions.projectId, p('projectId')), anyId(promptVersions.id, 'ids')))
        .prepare('prompt_versions_by_ids'),
    ).execute({ projectId, ids });
  }

  /**
   * Versions by id, each with its prompt, in one statement: a version is nearly always shown with
   * its prompt's name, which would otherwise cost a statement (and a round trip) of its own.
   */
  async versionsWithPromptsByIds(projectId: string, ids: readonly string[]): Promise<{ version: PromptVersionRow; prompt: PromptRow }[]> {
    const rows = await this.prepared('versionsWithPromptsByIds', () =>
      this.db
        .select({ ...getTableColumns(promptVersions), promptName: prompts.name, promptDescription: prompts.description, promptCreatedAt: prompts.createdAt })
        .from(promptVersions)
        .innerJoin(prompts, and(eq(prompts.id, promptVersions.promptId), eq(prompts.projectId, promptVersions.projectId)))
        .where(and(eq(promptVersions.projectId, p('projectId')), anyId(promptVersions.id, 'ids')))
        .prepare('prompt_versions_with_prompts_by_ids'),
    ).execute({ projectId, ids });
    return rows.map(({ promptName, promptDescription, promptCreatedAt, ...version }) => ({
      version,
      prompt: { id: version.promptId, projectId: version.projectId, name: promptName, description: promptDescription, createdAt: promptCreatedAt },
    }));
  }

  /** Up to `limit` versions of each prompt, newest first, in one statement. */
  versionPages(projectId: string, promptIds: readonly string[], args: VersionsPageArgs, limit: number): Promise<PromptVersionRow[]> {
    const statement = this.prepared(`versionPages|${args.beforeVersion === null ? 'first' : 'before'}`, () => {
      const page = this.db
        .select()
        .from(promptVersions)
        .where(
          and(
            eq(promptVersions.promptId, parentId),
            eq(promptVersions.projectId, p('projectId')),
            args.beforeVersion === null ? undefined : lt(promptVersions.version, p('beforeVersion')),
          ),
        )
        .orderBy(desc(promptVersions.version))
        .limit(p('limit'))
        .as('page');
      return this.db.select(fieldsOf(page)).from(eachParent).crossJoinLateral(page).orderBy(parentPosition, desc(page.version)).prepare('prompt_version_pages');
    });
    return statement.execute({ projectId, parentIds: promptIds, beforeVersion: args.beforeVersion, limit });
  }

  versionCounts(projectId: string, promptIds: readonly string[]): Promise<{ parentId: string; count: number }[]> {
    return this.prepared('versionCounts', () =>
      this.db
        .select({ parentId: promptVersions.promptId, count: sql<number>`count(*)::int` })
        .from(promptVersions)
        .where(and(eq(promptVersions.projectId, p('projectId')), anyId(promptVersions.promptId, 'promptIds')))
        .groupBy(promptVersions.promptId)
        .prepare('prompt_version_counts'),
    ).execute({ projectId, promptIds });
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
