import { Field, Int, ObjectType, type ClassType } from 'type-graphql';
import { badInput } from '../../common/errors.js';
import { UUID } from '../../common/global-id.js';
import { PageInfo } from './node.types.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** One page of a connection, as services return it; totalCount is counted only when asked for. */
export interface Page<T> {
  edges: { node: T; cursor: string }[];
  nodes: T[];
  pageInfo: PageInfo;
  count: () => Promise<number>;
}

/** Validated `first`/`after` arguments; `after` is decoded into the sort-key values of the last item seen. */
export interface PageArgs {
  first: number;
  after: unknown[] | null;
}

function parsePageArgs(first: number | null | undefined, after: string | null | undefined): PageArgs {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw badInput(
      `first: must be between 1 and ${MAX_PAGE_SIZE} (got ${first}); fetch further pages with after: pageInfo.endCursor.`,
      'first',
    );
  }
  return { first: size, after: after == null ? null : decodeCursor(after) };
}

export function encodeCursor(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

function decodeCursor(cursor: string): unknown[] {
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(values) && values.length > 0) return values;
  } catch {
    // Not JSON: reported below like any other foreign cursor.
  }
  throw badInput(`after: "${cursor}" is not a cursor of this list; pass pageInfo.endCursor from the previous page.`, 'after');
}

/** How one list is read: its cursor decoding, its fetch, its sort key and its count. */
export interface ListSpec<Row, T, K> {
  /** The keyset values of `after` (decoded cursor values, checked), or null on the first page. */
  keyset: (after: unknown[] | null) => K | null;
  /** Up to `limit` rows after the keyset, in list order (callers ask for first + 1). */
  fetch: (after: K | null, limit: number) => Promise<Row[]>;
  sortKey: (row: Row) => unknown[];
  node: (row: Row) => T;
  count: () => Promise<number>;
}

/**
 * One page of any list, top-level or nested: validates first/after, fetches first + 1 rows (the
 * extra row only tells that more follow) and builds the connection. Cursors and the count are
 * computed only when the query asks for them (most pages read `nodes` and `hasNextPage` only).
 */
export async function pageOf<Row, T, K>(first: number | null | undefined, after: string | null | undefined, list: ListSpec<Row, T, K>): Promise<Page<T>> {
  const args = parsePageArgs(first, after);
  const rows = await list.fetch(list.keyset(args.after), args.first + 1);
  const pageRows = rows.length > args.first ? rows.slice(0, args.first) : rows;
  return new ListPage(pageRows.map(list.node), pageRows, list, rows.length > args.first, args.after !== null);
}

/** A page whose cursors are encoded when read: a class, so its getters live on the prototype rather than being made for every page. */
class ListPage<Row, T> implements Page<T> {
  readonly pageInfo: PageInfo;
  readonly count: () => Promise<number>;

  constructor(
    readonly nodes: T[],
    private readonly rows: Row[],
    private readonly list: { sortKey: (row: Row) => unknown[]; count: () => Promise<number> },
    hasNextPage: boolean,
    hasPreviousPage: boolean,
  ) {
    this.pageInfo = new ListPageInfo(this, hasNextPage, hasPreviousPage);
    this.count = list.count;
  }

  cursorAt(i: number): string | null {
    return i >= 0 && i < this.rows.length ? encodeCursor(this.list.sortKey(this.rows[i]!)) : null;
  }

  get edges(): { node: T; cursor: string }[] {
    return this.nodes.map((node, i) => ({ node, cursor: this.cursorAt(i)! }));
  }
}

class ListPageInfo implements PageInfo {
  constructor(
    private readonly page: { cursorAt(i: number): string | null; nodes: readonly unknown[] },
    readonly hasNextPage: boolean,
    readonly hasPreviousPage: boolean,
  ) {}

  get startCursor(): string | null {
    return this.page.cursorAt(0);
  }

  get endCursor(): string | null {
    return this.page.cursorAt(this.page.nodes.length - 1);
  }
}

/** Cursor values of a (created_at, id) keyset, checked so a forged cursor is BAD_USER_INPUT, not a SQL error. */
export function createdAtKeyset(after: unknown[] | null): { createdAt: Date; id: string } | null {
  if (after === null) return null;
  const [createdAt, id] = after;
  const date = typeof createdAt === 'string' ? new Date(createdAt) : null;
  // Only what createdAtSortKey writes: a date that reads back as the same ISO text (years 0 to 9999, which PostgreSQL takes).
  if (!date || Number.isNaN(date.getTime()) || !/^\d{4}-/.test(createdAt as string) || date.toISOString() !== createdAt || typeof id !== 'string' || !UUID.test(id)) {
    throw badInput('after: the cursor does not belong to this list; pass pageInfo.endCursor from the previous page.', 'after');
  }
  return { createdAt: date, id };
}

/** The version number of a (version desc) keyset cursor. */
export function versionKeyset(after: unknown[] | null): number | null {
  if (after === null) return null;
  const [version] = after;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > 2 ** 31 - 1) {
    throw badInput('after: the cursor does not belong to this list; pass pageInfo.endCursor from the previous page.', 'after');
  }
  return version;
}

export const versionSortKey = (row: { version: number }): unknown[] => [row.version];

export const createdAtSortKey = (row: { createdAt: Date; id: string }): unknown[] => [row.createdAt.toISOString(), row.id];

/** A top-level list of the project's rows, newest first: a service's `list` and `count`, paged. */
export function newestFirstPage<Row extends { createdAt: Date; id: string }, T>(
  first: number | null | undefined,
  after: string | null | undefined,
  list: {
    fetch: (after: { createdAt: Date; id: string } | null, limit: number) => Promise<Row[]>;
    count: () => Promise<number>;
    node: (row: Row) => T;
  },
): Promise<Page<T>> {
  return pageOf(first, after, { keyset: createdAtKeyset, sortKey: createdAtSortKey, ...list });
}

/** The Relay connection and edge types for one node type: `${name}Connection` and `${name}Edge`. */
export function connectionType<T extends object>(nodeType: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true, description: `One ${name} in a page, with its cursor.` })
  class Edge {
    @Field(() => nodeType, { description: `The ${name}.` })
    node!: T;

    @Field(() => String, { description: 'Opaque cursor; pass it as after to continue after this item.' })
    cursor!: string;
  }

  @ObjectType(`${name}Connection`, { simpleResolvers: true, description: `A page of ${name} items (first at most ${MAX_PAGE_SIZE}).` })
  class Connection {
    @Field(() => [Edge], { description: 'The items of the page with their cursors.' })
    edges!: Edge[];

    @Field(() => [nodeType], { description: 'The items of the page.' })
    nodes!: T[];

    @Field(() => PageInfo, { description: 'Where the page sits in the whole list.' })
    pageInfo!: PageInfo;

    count!: () => Promise<number>;

    @Field(() => Int, { description: 'How many items the whole list holds, over all pages.' })
    totalCount(): Promise<number> {
      return this.count();
    }
  }

  return Connection;
}
