import { and, eq, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type postgres from 'postgres';
import type { Executor } from '../storage/postgres.js';

/** A row held under a lease. `attempt` is the fencing token: each claim of the row takes the next one. */
export interface Claim {
  id: string;
  attempt: number;
}

export interface LeaseSpec<T extends PgTable> {
  table: T;
  /** Property names (not column names) of the table's lease columns. */
  columns: { id: keyof T['$inferSelect'] & string; leaseUntil: keyof T['$inferSelect'] & string; attempts: keyof T['$inferSelect'] & string };
}

export interface ClaimOptions {
  /** Which rows may be claimed (their status, their age, ...); the lease must be free or expired as well. */
  where: SQL | undefined;
  order: (SQL | PgColumn)[];
  limit: number;
  leaseSeconds: number;
}

/** The lease was taken over by another worker (it ran out), or the row left the state it was claimed in. */
export class LeaseLostError extends Error {
  constructor(claim: Claim) {
    super(`lease on ${claim.id} (attempt ${claim.attempt}) was lost`);
    this.name = 'LeaseLostError';
  }
}

/**
 * Leases on the rows of one table, for work done outside any transaction: claim a batch with
 * `FOR UPDATE SKIP LOCKED` (row locks last only for that statement), renew while working, and
 * write the outcome fenced by the attempt number, so a worker whose lease ran out and was taken
 * over changes nothing. Dataset validation, upload completion and the upload sweeps use it; the
 * task queue is built on it.
 */
export class Leases<T extends PgTable> {
  private readonly id: PgColumn;
  private readonly leaseUntil: PgColumn;
  private readonly attempts: PgColumn;

  constructor(private readonly spec: LeaseSpec<T>) {
    const columns = spec.table as unknown as Record<string, PgColumn>;
    this.id = columns[spec.columns.id]!;
    this.leaseUntil = columns[spec.columns.leaseUntil]!;
    this.attempts = columns[spec.columns.attempts]!;
  }

  /** The claim a claimed row stands for. */
  claimOf(row: T['$inferSelect']): Claim {
    const values = row as Record<string, unknown>;
    return { id: values[this.spec.columns.id] as string, attempt: values[this.spec.columns.attempts] as number };
  }

  /** The row's lease is free or ran out: it may be claimed. */
  isFree(): SQL {
    return or(isNull(this.leaseUntil), lt(this.leaseUntil, sql`now()`))!;
  }

  /** What a claim sets besides `extra`: a lease of `leaseSeconds` and the next attempt number (the new fencing token). */
  claimValues(leaseSeconds: number | SQL, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      ...extra,
      [this.spec.columns.leaseUntil]: sql`now() + make_interval(secs => ${leaseSeconds})`,
      [this.spec.columns.attempts]: sql`${this.attempts} + 1`,
    };
  }

  /** Takes up to `limit` rows that `where` keeps and whose lease is free or expired; returns them as claimed. */
  async claim(db: Executor, options: ClaimOptions): Promise<T['$inferSelect'][]> {
    const free = db
      .select({ id: this.id })
      .from(this.spec.table as PgTable)
      .where(and(options.where, this.isFree()))
      .orderBy(...options.order)
      .limit(options.limit)
      .for('update', { skipLocked: true });
    return (await db
      .update(this.spec.table as PgTable)
      .set(this.claimValues(options.leaseSeconds))
      .where(inArray(this.id, free))
      .returning()) as T['$inferSelect'][];
  }

  /**
   * Matches the rows still held by any of `claims`, given as two parallel arrays in SQL (uuid[] of
   * ids, int[] of attempts), for set-based fenced writes of a batch.
   */
  heldByAny(ids: unknown, attempts: unknown): SQL {
    return sql`(${this.id}, ${this.attempts}) in (select * from unnest(${ids}::uuid[], ${attempts}::int[]))`;
  }

  /** Matches the row only while `claim` holds it, and `also` (e.g. its status) is true. */
  heldBy(claim: Claim, also?: SQL): SQL {
    return and(eq(this.id, claim.id), eq(this.attempts, claim.attempt), also)!;
  }

  /** Holds the claim `leaseSeconds` more; false when it was lost. */
  async renew(db: Executor, claim: Claim, leaseSeconds: number, also?: SQL): Promise<boolean> {
    return this.write(db, claim, { [this.spec.columns.leaseUntil]: sql`now() + make_interval(secs => ${leaseSeconds})` }, also);
  }

  /** Gives the row back: claimable again at once, or after `retryInSeconds`. */
  async release(db: Executor, claim: Claim, retryInSeconds = 0, also?: SQL): Promise<boolean> {
    const until = retryInSeconds > 0 ? sql`now() + make_interval(secs => ${retryInSeconds})` : null;
    return this.write(db, claim, { [this.spec.columns.leaseUntil]: until }, also);
  }

  /** Writes the outcome and ends the lease, once, if the claim still holds; false when it was lost. */
  async finish(db: Executor, claim: Claim, values: Partial<T['$inferInsert']>, also?: SQL): Promise<boolean> {
    return this.write(db, claim, { ...values, [this.spec.columns.leaseUntil]: null }, also);
  }

  private async write(db: Executor, claim: Claim, values: Record<string, unknown>, also?: SQL): Promise<boolean> {
    const rows = await db
      .update(this.spec.table as PgTable)
      .set(values)
      .where(this.heldBy(claim, also))
      .returning({ id: this.id });
    return rows.length > 0;
  }
}

export interface HeldLease {
  /** Aborted when the lease is lost (reason: LeaseLostError) or when the parent signal aborts. */
  signal: AbortSignal;
  /** Stops renewing; call when the work is done. */
  stop(): void;
}

/**
 * Renews a lease every `everyMs` while work runs. A renewal that finds the lease lost aborts
 * the work; one that fails (database unreachable) is reported and tried again at the next beat,
 * since the fence keeps a late write harmless either way.
 */
export function holdLease(
  claim: Claim,
  renew: () => Promise<boolean>,
  options: { everyMs: number; parent?: AbortSignal; onRenewError?: (err: unknown) => void },
): HeldLease {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(options.parent!.reason);
  if (options.parent?.aborted) onParentAbort();
  options.parent?.addEventListener('abort', onParentAbort, { once: true });
  const timer = setInterval(() => {
    renew().then(
      (held) => held || controller.abort(new LeaseLostError(claim)),
      (err: unknown) => options.onRenewError?.(err),
    );
  }, options.everyMs);
  return {
    signal: controller.signal,
    stop() {
      clearInterval(timer);
      options.parent?.removeEventListener('abort', onParentAbort);
    },
  };
}

/**
 * Ends every lease in the database (each table's `lease_until`), so its work is claimable now
 * rather than when the lease runs out. Only for a database no live worker can reach: the embedded
 * one of a `dev` process that was killed, whose PostgreSQL the next start stopped with every
 * connection. Fencing keeps it harmless even so: the next claim takes the next attempt.
 */
export async function endAllLeases(sql: postgres.Sql): Promise<number> {
  const tables = await sql<{ table_name: string }[]>`
    select table_name from information_schema.columns where table_schema = current_schema() and column_name = 'lease_until'`;
  let ended = 0;
  for (const { table_name } of tables) ended += (await sql`update ${sql(table_name)} set lease_until = null where lease_until > now()`).count;
  return ended;
}
