import { desc, sql, type SQL, type Subquery } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

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
 * Pages of children, one per parent of `$parentIds`, in one statement: select from `eachParent`
 * `.crossJoinLateral(page)`, where `page` is the children of `parentId` (and what else keeps them)
 * in their order, `.limit(p('limit'))`, `.as('page')`. Each page is a LATERAL subquery that walks
 * the (parent, order) index and stops at the limit, so the cost follows the page size and not the
 * number of children; the columns are read there, not looked up again by id. Ordered by
 * `parentPosition` and then the page's own order, each parent's rows come together, as asked.
 */
export const eachParent: SQL = sql`unnest(${p('parentIds')}::uuid[]) with ordinality as parent(id, position)`;

/** In the LATERAL subquery of a page per parent (`eachParent`): the parent whose page it reads. */
export const parentId: SQL = sql`parent.id`;

/** The place of a parent in `$parentIds`: the first key to order pages per parent by. */
export const parentPosition: SQL = sql`parent.position`;

/** Every field a page (a subquery) selects, as the outer select of pages per parent reads it. */
export function fieldsOf<Q extends Subquery>(page: Q): Q['_']['selectedFields'] {
  return Object.fromEntries(Object.keys(page._.selectedFields).map((name) => [name, (page as unknown as Record<string, unknown>)[name]])) as Q['_']['selectedFields'];
}
