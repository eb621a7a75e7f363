import { and, eq, sql } from 'drizzle-orm';
import type { PgColumn, PgTable, SelectedFields } from 'drizzle-orm/pg-core';
import type { Executor } from '../../storage/postgres.js';
import { afterCreatedAt, keysetValues, newestFirst } from './keyset.js';

type ProjectTable = PgTable & { projectId: PgColumn; createdAt: PgColumn; id: PgColumn };

const p = sql.placeholder;

/**
 * The statements of a top-level list of one project's rows, newest first: a page after a
 * (createdAt, id) keyset, and the count. Prepared once each, like a repo's other hot statements.
 */
export class ProjectList<Row> {
  private firstPage?: { execute(values: Record<string, unknown>): Promise<unknown[]> };
  private nextPage?: { execute(values: Record<string, unknown>): Promise<unknown[]> };
  private counted?: { execute(values: Record<string, unknown>): Promise<{ count: number }[]> };

  constructor(
    private readonly db: Executor,
    private readonly table: ProjectTable,
    private readonly name: string,
    /** The columns read, when not all of them. */
    private readonly columns?: SelectedFields,
  ) {}

  private pageStatement(after: boolean) {
    const select = this.columns ? this.db.select(this.columns) : this.db.select();
    return select
      .from(this.table as PgTable)
      .where(and(eq(this.table.projectId, p('projectId')), after ? afterCreatedAt(this.table) : undefined))
      .orderBy(...newestFirst(this.table))
      .limit(p('limit'))
      .prepare(`${this.name}_page`);
  }

  async page(projectId: string, after: { createdAt: Date; id: string } | null, limit: number): Promise<Row[]> {
    const statement = after ? (this.nextPage ??= this.pageStatement(true)) : (this.firstPage ??= this.pageStatement(false));
    return (await statement.execute({ projectId, ...keysetValues(after), limit })) as Row[];
  }

  async count(projectId: string): Promise<number> {
    this.counted ??= this.db
      .select({ count: sql<number>`count(*)::int` })
      .from(this.table as PgTable)
      .where(eq(this.table.projectId, p('projectId')))
      .prepare(`${this.name}_count`);
    const [row] = await this.counted.execute({ projectId });
    return row!.count;
  }
}
