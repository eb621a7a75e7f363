import { desc, lte, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../../storage/postgres.js';

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
 * statement, a window partitioned by parent, so a page of N parents costs one round-trip.
 */
export function firstPerParent(db: Db, table: PgTable, id: PgColumn, parent: PgColumn, order: SQL[], where: SQL | undefined, limit: number) {
  const ranked = db
    .select({ id, rank: sql<number>`row_number() over (partition by ${parent} order by ${sql.join(order, sql`, `)})`.as('rank') })
    .from(table)
    .where(where)
    .as('ranked');
  return db.select({ id: ranked.id }).from(ranked).where(lte(ranked.rank, limit));
}
