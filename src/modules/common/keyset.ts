import { desc, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';

interface CreatedAtKeyed {
  createdAt: PgColumn;
  id: PgColumn;
}

const p = sql.placeholder;

/** Rows after the cursor in newest-first order, as placeholders `afterCreatedAt` and `afterId` (see `keysetValues`). */
export function afterCreatedAt(table: CreatedAtKeyed): SQL {
  // An ISO string with a cast: postgres.js cannot bind a Date inside a raw drizzle fragment.
  return sql`(${table.createdAt}, ${table.id}) < (${p('afterCreatedAt')}::timestamptz, ${p('afterId')}::uuid)`;
}

/** The placeholder values of `afterCreatedAt`. */
export function keysetValues(after: { createdAt: Date; id: string } | null): { afterCreatedAt: string | null; afterId: string | null } {
  return { afterCreatedAt: after?.createdAt.toISOString() ?? null, afterId: after?.id ?? null };
}

export function newestFirst(table: CreatedAtKeyed): SQL[] {
  return [desc(table.createdAt), desc(table.id)];
}

/**
 * Ids of the first `$limit` rows of each parent of `$parentIds` in `order`, among the rows `where`
 * keeps: one statement, with a LATERAL subquery per parent that walks the (parent, order) index
 * and stops at the limit, so its cost follows the page size and not the number of children.
 */
export function firstPerParent(table: PgTable, id: PgColumn, parent: PgColumn, order: SQL[], where: SQL | undefined): SQL {
  return sql`select page.id from unnest(${p('parentIds')}::uuid[]) as parent(id) cross join lateral (
    select ${id} as id from ${table} where ${parent} = parent.id${where ? sql` and ${where}` : sql``}
    order by ${sql.join(order, sql`, `)} limit ${p('limit')}) as page`;
}
