import { and, count, desc, eq, inArray, lt, max } from 'drizzle-orm';
import { prompts, promptVersions, type PromptRow, type PromptVersionRow } from '../../db/schema.js';
import type { Db } from '../../storage/postgres.js';
import { afterCreatedAt, firstPerParent, newestFirst } from '../common/keyset.js';

export interface VersionsPageArgs {
  first: number;
  /** Versions below this number (the cursor's), newest first. */
  beforeVersion: number | null;
}

type NewVersion = { system: string | null; template: string; variables: string[] };

export class PromptsRepo {
  constructor(private readonly db: Db) {}

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

  /** Up to first + 1 versions of each prompt, newest first, in one statement. */
  versionPages(projectId: string, promptIds: readonly string[], args: VersionsPageArgs): Promise<PromptVersionRow[]> {
    const pageIds = firstPerParent(
      this.db,
      promptVersions,
      promptVersions.id,
      promptVersions.promptId,
      [desc(promptVersions.version)],
      and(
        eq(promptVersions.projectId, projectId),
        inArray(promptVersions.promptId, [...promptIds]),
        args.beforeVersion === null ? undefined : lt(promptVersions.version, args.beforeVersion),
      ),
      args.first + 1,
    );
    return this.db.select().from(promptVersions).where(inArray(promptVersions.id, pageIds)).orderBy(desc(promptVersions.version));
  }

  versionCounts(projectId: string, promptIds: readonly string[]): Promise<{ promptId: string; count: number }[]> {
    return this.db
      .select({ promptId: promptVersions.promptId, count: count() })
      .from(promptVersions)
      .where(and(eq(promptVersions.projectId, projectId), inArray(promptVersions.promptId, [...promptIds])))
      .groupBy(promptVersions.promptId);
  }

  /** The prompt and its version 1, together or not at all. */
  insertPrompt(projectId: string, name: string, description: string | null, first: NewVersion): Promise<PromptRow> {
    return this.db.transaction(async (tx) => {
      const [prompt] = await tx.insert(prompts).values({ projectId, name, description }).returning();
      await tx.insert(promptVersions).values({ projectId, promptId: prompt!.id, version: 1, ...first });
      return prompt!;
    });
  }

  /** The next version number, taken under a lock on the prompt so concurrent creates never collide; undefined if no such prompt. */
  appendVersion(projectId: string, promptId: string, next: NewVersion): Promise<PromptVersionRow | undefined> {
    return this.db.transaction(async (tx) => {
      const [prompt] = await tx
        .select({ id: prompts.id })
        .from(prompts)
        .where(and(eq(prompts.projectId, projectId), eq(prompts.id, promptId)))
        .for('update');
      if (!prompt) return undefined;
      const [{ latest } = { latest: 0 }] = await tx
        .select({ latest: max(promptVersions.version) })
        .from(promptVersions)
        .where(eq(promptVersions.promptId, promptId));
      const [row] = await tx
        .insert(promptVersions)
        .values({ projectId, promptId, version: (latest ?? 0) + 1, ...next })
        .returning();
      return row;
    });
  }
}
