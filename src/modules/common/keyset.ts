import { desc, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';

interface CreatedAtKeyed {
  createdAt: PgColumn;
  id: PgColumn;
}

/** Rows after the cursor in newest-first order; undefined (no condition) on the first page. */
export function afterCreatedAt(table: CreatedAtKeyed, after: { createdAt: Date; id: string } | null): SQL | undefined {
  // An ISO string with a cast: postgres.js cannot bind a Date inside a raw drizzle fragment.
  return after ? sql`(${table.createdAt}, ${table.id}) < (${after.createdAt.toISOString()}::timestamptz, ${after.id}::uuid)` : undefined;
}

export function newestFirst(table: CreatedAtKeyed): SQL[] {
  return [desc(table.createdAt), desc(table.id)];
}

/**
 * Ids of the first `limit` rows of each parent in `order`, among the rows `where` keeps: one
 * statement, with a LATERAL subquery per parent that walks the (parent, order) index and stops at
 * the limit, so its cost follows the page size and not the number of children.
 */
export function firstPerParent(table: PgTable, id: PgColumn, parent: PgColumn, parentIds: readonly string[], order: SQL[], where: SQL | undefined, limit: number): SQL {
  return sql`select page.id from unnest(${sql.param(parentIds)}::uuid[]) as parent(id) cross join lateral (
    select ${id} as id from ${table} where ${parent} = parent.id${where ? sql` and ${where}` : sql``}
    order by ${sql.join(order, sql`, `)} limit ${limit}) as page`;
}
