import { eq, sql } from 'drizzle-orm';
import { integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type Database } from '../../src/storage/postgres.js';
import { holdLease, LeaseLostError, Leases } from '../../src/workflow/leases.js';
import { ownDatabase } from '../helpers/lab.js';

// A table of its own, shaped like any the lease unit serves: a status, a lease and an attempt counter.
const jobs = pgTable('lease_test_jobs', {
  id: uuid('id').primaryKey().defaultRandom(),
  status: text('status').notNull(),
  result: text('result'),
  leaseUntil: timestamp('lease_until', { withTimezone: true, mode: 'date', precision: 3 }),
  attempts: integer('attempts').notNull().default(0),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull().defaultNow(),
});
type JobRow = typeof jobs.$inferSelect;

const leases = new Leases({ table: jobs, columns: { id: 'id', leaseUntil: 'leaseUntil', attempts: 'attempts' } });
const waiting = eq(jobs.status, 'WAITING');
const claimWaiting = (limit: number, leaseSeconds = 60) => leases.claim(database.db, { where: waiting, order: [jobs.createdAt, jobs.id], limit, leaseSeconds });

let database: Database;
let drop: () => Promise<void>;

beforeAll(async () => {
  const own = await ownDatabase();
  drop = own.drop;
  database = connectDatabase(own.url, { poolSize: 4 });
  await database.sql`create table lease_test_jobs (
    id uuid primary key default gen_random_uuid(), status text not null, result text,
    lease_until timestamptz(3), attempts integer not null default 0, created_at timestamptz(3) not null default now())`;
});
afterAll(async () => {
  await database.close();
  await drop();
});

async function freshJobs(n: number): Promise<string[]> {
  await database.sql`delete from lease_test_jobs`;
  const rows = await database.sql<{ id: string }[]>`
    insert into lease_test_jobs (status, created_at)
    select 'WAITING', now() + make_interval(secs => i) from generate_series(1, ${n}) as i returning id`;
  return rows.map((r) => r.id);
}
const row = async (id: string) => (await database.db.select().from(jobs).where(eq(jobs.id, id)))[0]!;

describe('leases', () => {
  it('claims a batch in order, each row with the next attempt number and a lease', async () => {
    const ids = await freshJobs(5);
    const claimed = await claimWaiting(3);
    expect(claimed.map((r) => r.id).sort()).toEqual(ids.slice(0, 3).sort());
    for (const r of claimed) {
      expect(r.attempts).toBe(1);
      expect(r.leaseUntil!.getTime()).toBeGreaterThan(Date.now() + 50_000);
    }
    // Held rows are not claimed again while their lease runs; the rest are.
    expect((await claimWaiting(5)).map((r) => r.id).sort()).toEqual(ids.slice(3).sort());
    expect(await claimWaiting(5)).toEqual([]);
  });

  it('gives each row to one of many claimers at once', async () => {
    const ids = await freshJobs(20);
    const batches = await Promise.all(Array.from({ length: 8 }, () => claimWaiting(5)));
    const claimed = batches.flat().map((r) => r.id);
    expect(claimed.sort()).toEqual([...ids].sort());
    expect(new Set(claimed).size).toBe(20);
  });

  it('takes a row over once its lease has run out, and fences the late writes of the earlier holder', async () => {
    const [id] = await freshJobs(1);
    const [stale] = await claimWaiting(1);
    await database.sql`update lease_test_jobs set lease_until = now() - interval '1 second' where id = ${id!}`;
    const [current] = await claimWaiting(1);
    expect(current!.id).toBe(id);
    expect(current!.attempts).toBe(2);

    const staleClaim = leases.claimOf(stale!);
    expect(await leases.renew(database.db, staleClaim, 60)).toBe(false);
    expect(await leases.finish(database.db, staleClaim, { status: 'DONE', result: 'late' })).toBe(false);
    expect(await leases.release(database.db, staleClaim)).toBe(false);
    expect((await row(id!)).result).toBeNull();

    const claim = leases.claimOf(current!);
    expect(await leases.renew(database.db, claim, 120)).toBe(true);
    expect(await leases.finish(database.db, claim, { status: 'DONE', result: 'current' })).toBe(true);
    expect(await row(id!)).toMatchObject({ status: 'DONE', result: 'current', leaseUntil: null });
    // Written once: the same claim cannot finish twice once its row left the state it was claimed in.
    expect(await leases.finish(database.db, claim, { result: 'again' }, waiting)).toBe(false);
  });

  it('releases a row at once or after a delay', async () => {
    const [id] = await freshJobs(1);
    const [claimed] = await claimWaiting(1);
    expect(await leases.release(database.db, leases.claimOf(claimed!), 30)).toBe(true);
    expect(await claimWaiting(1)).toEqual([]);
    await database.sql`update lease_test_jobs set lease_until = null where id = ${id!}`;
    const [again] = await claimWaiting(1);
    expect(await leases.release(database.db, leases.claimOf(again!))).toBe(true);
    expect((await claimWaiting(1)).map((r: JobRow) => r.attempts)).toEqual([3]);
  });

  it('holds a lease while work runs, and aborts the work when the lease is lost', async () => {
    const [id] = await freshJobs(1);
    const [claimed] = await claimWaiting(1, 1);
    const claim = leases.claimOf(claimed!);
    const held = holdLease(claim, () => leases.renew(database.db, claim, 1), { everyMs: 50 });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(held.signal.aborted).toBe(false); // renewed past its first second
    expect(await claimWaiting(1)).toEqual([]);

    // Another worker takes it over (as after a pause longer than the lease): the next renewal finds it lost.
    // Listened for first: that renewal may abort before the update's own answer is read.
    const aborted = new Promise((resolve) => held.signal.addEventListener('abort', () => resolve(held.signal.reason)));
    await database.sql`update lease_test_jobs set attempts = attempts + 1 where id = ${id!}`;
    expect(await aborted).toBeInstanceOf(LeaseLostError);
    held.stop();
  });

  it('aborts the work when the parent signal aborts (the worker stops)', async () => {
    await freshJobs(1);
    const [claimed] = await claimWaiting(1);
    const parent = new AbortController();
    const claim = leases.claimOf(claimed!);
    const held = holdLease(claim, () => leases.renew(database.db, claim, 60), { everyMs: 10_000, parent: parent.signal });
    parent.abort(new Error('stopping'));
    expect(held.signal.aborted).toBe(true);
    expect(held.signal.reason).not.toBeInstanceOf(LeaseLostError);
    held.stop();
    expect(await database.db.$count(jobs, sql`${jobs.leaseUntil} > now()`)).toBe(1);
  });
});
