/**
 * Every item of a paged admin list, following `nextCursor` 500 at a time: for the selects that
 * pick a service provider or an MVPD. Capped, so a runaway list cannot hang the page.
 */
import { api } from '../api';
import type { Page } from './paged';

const PAGE = 500;
const MAX_PAGES = 20;

export async function allItems<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const page = await api.get<Page<T>>(path, { cursor, limit: PAGE });
    items.push(...page.items);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return items;
}
