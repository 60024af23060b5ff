import type { RegisterEntry } from './projection.js';

export interface RegisterQuery {
  status?: string;
  kind?: string;
  party?: string;
  binding?: boolean;
  /** Words that must all appear in the title, case-insensitively. */
  q?: string;
  limit: number;
  /** Opaque: from the previous page's `nextCursor`. */
  cursor?: string;
}

export interface RegisterPage {
  items: RegisterEntry[];
  nextCursor: string | null;
  total: number;
}

/** Most recent activity first; the cursor is the last position of the last row of the page. */
export function queryRegister(entries: Iterable<RegisterEntry>, query: RegisterQuery): RegisterPage {
  const words = (query.q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const party = query.party?.toLowerCase();
  const matching = [...entries]
    .filter((entry) => query.status === undefined || entry.status === query.status)
    .filter((entry) => query.kind === undefined || entry.kind === query.kind)
    .filter((entry) => query.binding === undefined || entry.binding === query.binding)
    .filter((entry) => party === undefined || entry.parties.some((p) => p.toLowerCase() === party))
    .filter((entry) => words.every((word) => entry.title.toLowerCase().includes(word)))
    .sort((a, b) => b.lastPosition - a.lastPosition);
  const after = decodeCursor(query.cursor);
  const rest = after === undefined ? matching : matching.filter((entry) => entry.lastPosition < after);
  const items = rest.slice(0, query.limit);
  const more = rest.length > items.length;
  return { items, nextCursor: more ? encodeCursor(items[items.length - 1]!.lastPosition) : null, total: matching.length };
}

export function encodeCursor(position: number): string {
  return Buffer.from(`p:${position}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const match = /^p:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new InvalidCursorError();
  return Number(match[1]);
}

export class InvalidCursorError extends Error {
  constructor() {
    super('cursor: not a cursor this API gave out');
  }
}
