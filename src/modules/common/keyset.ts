import { desc, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

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
