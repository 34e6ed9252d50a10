/**
 * Cursor paging, as the admin API pages (`nextCursor`): one page in memory at a time, so a domain
 * with a million members costs what a domain with ten does. Earlier pages are reached back
 * through the cursors already seen.
 */
import { useState } from 'preact/hooks';
import type { ApiError } from '../api';
import { useLoad } from './load';

export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

export interface Paged<T> {
  items: T[];
  loading: boolean;
  error: ApiError | null;
  pageNumber: number;
  hasNext: boolean;
  next(): void;
  previous(): void;
  reload(): void;
}

/** Pages of `load`; starts again from the first page whenever `key` changes. */
export function usePaged<T>(load: (cursor: string | undefined) => Promise<Page<T>>, key: string): Paged<T> {
  // The cursors of the pages seen, for `key`: a new key starts again from the first page.
  const [trail, setTrail] = useState<{ key: string; cursors: (string | undefined)[] }>({ key, cursors: [undefined] });
  const cursors = trail.key === key ? trail.cursors : [undefined];
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(() => load(cursor), `${key}\u0000${cursor ?? ''}`);
  const nextCursor = page.data?.nextCursor ?? null;
  return {
    items: page.data?.items ?? [],
    loading: page.loading,
    error: page.error,
    pageNumber: cursors.length,
    hasNext: nextCursor !== null,
    next: () => nextCursor !== null && setTrail({ key, cursors: [...cursors, nextCursor] }),
    previous: () => cursors.length > 1 && setTrail({ key, cursors: cursors.slice(0, -1) }),
    reload: page.reload,
  };
}

/** Previous / next buttons under a paged list. */
export function Pager(props: { paged: Paged<unknown>; label: string }) {
  const { paged } = props;
  if (paged.pageNumber === 1 && !paged.hasNext) return null;
  return (
    <nav class="pager" aria-label={`${props.label} pages`}>
      <button type="button" onClick={paged.previous} disabled={paged.pageNumber === 1 || paged.loading}>
        Previous page
      </button>
      <span>Page {paged.pageNumber}</span>
      <button type="button" onClick={paged.next} disabled={!paged.hasNext || paged.loading}>
        Next page
      </button>
    </nav>
  );
}

/** The state line of a list: loading, its error, or nothing. */
export function ListState(props: { paged: Paged<unknown>; empty: string }) {
  const { paged } = props;
  if (paged.error)
    return (
      <p class="error" role="alert">
        {paged.error.message}
      </p>
    );
  if (paged.loading && paged.items.length === 0) return <p class="muted">Loading…</p>;
  if (!paged.loading && paged.items.length === 0) return <p class="muted">{props.empty}</p>;
  return null;
}
