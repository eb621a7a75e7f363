interface Props {
  /** Cursors of the pages before this one; the last is this page's `after`. */
  history: (string | null)[];
  endCursor: string | null | undefined;
  hasNextPage: boolean;
  onPage(history: (string | null)[]): void;
}

/** Forward keyset paging with a way back: the cursors walked so far are the history. */
export function Pager({ history, endCursor, hasNextPage, onPage }: Props) {
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={history.length === 0} onClick={() => onPage(history.slice(0, -1))}>
        Previous
      </button>
      <span className="muted">page {history.length + 1}</span>
      <button type="button" disabled={!hasNextPage || !endCursor} onClick={() => onPage([...history, endCursor ?? null])}>
        Next
      </button>
    </nav>
  );
}
