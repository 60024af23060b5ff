import { dayNumber } from './days.js';

/** Where read models keep their documents and checkpoints. Synchronous: both stores are local. */
export interface Checkpoint {
  version: number;
  /** The last global position whose event is reflected in the stored documents. */
  position: number;
  failed?: { position: number; error: string };
}

/** An item written by a fold (see `Item` in projections/read-model.ts), as stored. */
export interface StoredItem {
  key: string;
  /** Unique within the model: the position of the event that added the item. */
  seq: number;
  /** The item before it in its document; null: the first. */
  prev: number | null;
  json: string;
  /** The days the item may fall on, for period queries; null: none. */
  span: { start: string; end: string } | null;
}

export interface ItemPage {
  /** How many items the period holds in all; null when more than `totalAtLeast - 1` (counting stops there). */
  total: number | null;
  totalAtLeast?: number;
  items: Array<{ key: string; seq: number; prev: number | null; json: string }>;
  /** Where the next page starts (opaque, this store's own), or null after the last. */
  next: string | null;
}

/** A page of a period: after a cursor from the page before (a seek), or at an offset (a scan past it). */
export interface SpanPage {
  limit: number;
  after?: string;
  offset?: number;
}

/** A period's items are counted up to this many: a count is a scan, and a page should not pay for a million. */
export const COUNT_CAP = 10_000;

/** A cursor this store did not make. */
export class InvalidSpanCursorError extends Error {}

export interface DocumentStore {
  checkpoint(model: string): Checkpoint | undefined;
  load(model: string, key: string): unknown;
  loadAll(model: string): Iterable<[string, unknown]>;
  /** One item, by its `seq`. */
  item(model: string, seq: number): { prev: number | null; json: string } | undefined;
  /** Every item of the model, by key then `seq`: what comparing two builds of a model reads. */
  allItems(model: string): Iterable<StoredItem>;
  /**
   * Items whose span overlaps `start`-`end` (days, YYYY-MM-DD), a page of them in calendar order:
   * first possible day, then last possible day, then `seq`; with how many there are in all.
   */
  itemsInSpan(model: string, start: string, end: string, page: SpanPage): ItemPage;
  /**
   * Documents as JSON text (null: delete, with its items: a scan, deletions are rare), items added or replaced, and the new
   * checkpoint, atomically: all or nothing.
   */
  commit(model: string, version: number, position: number, changes: ReadonlyMap<string, string | null>, items?: readonly StoredItem[]): void;
  /**
   * Items stored ahead of the checkpoint, in one transaction, documents and checkpoint untouched.
   * Only for items that did not exist at the checkpoint: a replay from it writes them again, the same.
   */
  commitItems(model: string, items: readonly StoredItem[]): void;
  /** Makes the store usable again after a failed write (a lost item batch); what was not stored is written again by the caller. */
  recover?(): void;
  /** Records that the model stopped at an event it could not fold. */
  fail(model: string, version: number, failed: { position: number; error: string }): void;
  /** Forgets a model's documents and checkpoint (before a rebuild from the start). */
  reset(model: string): void;
  /** Replaces `model`'s documents and checkpoint with those stored under `shadow`, atomically. */
  promote(shadow: string, model: string): void;
  close(): void;
}

/** The calendar order of `itemsInSpan`, for stores that sort in JavaScript. */
export function bySpan(a: StoredItem, b: StoredItem): number {
  return a.span!.start.localeCompare(b.span!.start) || a.span!.end.localeCompare(b.span!.end) || a.seq - b.seq;
}

/** Where a page of a period ends: the last item's first and last day (day numbers) and seq. Every store writes it the same way. */
export interface SpanCursor {
  start: number;
  end: number;
  seq: number;
}

export function encodeSpanCursor({ start, end, seq }: SpanCursor): string {
  return `${start}.${end}.${seq}`;
}

export function decodeSpanCursor(text: string): SpanCursor {
  const match = /^(-?\d{1,7})\.(-?\d{1,7})\.(\d{1,15})$/.exec(text);
  if (!match) throw new InvalidSpanCursorError(`cursor ${JSON.stringify(text.slice(0, 40))} is not one this calendar gave`);
  return { start: Number(match[1]), end: Number(match[2]), seq: Number(match[3]) };
}

export class MemoryDocumentStore implements DocumentStore {
  private readonly documents = new Map<string, Map<string, string>>();
  private readonly itemsByModel = new Map<string, Map<number, StoredItem>>();
  private readonly checkpoints = new Map<string, Checkpoint>();

  checkpoint(model: string): Checkpoint | undefined {
    const checkpoint = this.checkpoints.get(model);
    return checkpoint && structuredClone(checkpoint);
  }

  load(model: string, key: string): unknown {
    const json = this.documents.get(model)?.get(key);
    return json === undefined ? undefined : JSON.parse(json);
  }

  *loadAll(model: string): Iterable<[string, unknown]> {
    for (const [key, json] of this.documents.get(model) ?? []) yield [key, JSON.parse(json)];
  }

  item(model: string, seq: number): { prev: number | null; json: string } | undefined {
    const item = this.modelItems(model).get(seq);
    return item && { prev: item.prev, json: item.json };
  }

  allItems(model: string): Iterable<StoredItem> {
    return [...this.modelItems(model).values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.seq - b.seq));
  }

  itemsInSpan(model: string, start: string, end: string, { after, offset = 0, limit }: SpanPage): ItemPage {
    const matching = [...this.modelItems(model).values()].filter(({ span }) => span !== null && span.start <= end && span.end >= start).sort(bySpan);
    const cursorOf = (item: StoredItem): SpanCursor => ({ start: dayNumber(item.span!.start), end: dayNumber(item.span!.end), seq: item.seq });
    const from = after === undefined ? offset : afterCursor(matching.map(cursorOf), decodeSpanCursor(after));
    const page = matching.slice(from, from + limit);
    const last = page[page.length - 1];
    return {
      ...(matching.length > COUNT_CAP ? { total: null, totalAtLeast: COUNT_CAP + 1 } : { total: matching.length }),
      items: page.map(({ key, seq, prev, json }) => ({ key, seq, prev, json })),
      next: last && from + limit < matching.length ? encodeSpanCursor(cursorOf(last)) : null,
    };
  }

  private modelItems(model: string): Map<number, StoredItem> {
    let items = this.itemsByModel.get(model);
    if (!items) this.itemsByModel.set(model, (items = new Map()));
    return items;
  }

  commit(model: string, version: number, position: number, changes: ReadonlyMap<string, string | null>, items: readonly StoredItem[] = []): void {
    const documents = this.documents.get(model) ?? new Map<string, string>();
    this.documents.set(model, documents);
    const stored = this.modelItems(model);
    // Kept as text like the SQLite store, so both hand back the same copies.
    for (const [key, json] of changes) {
      if (json !== null) documents.set(key, json);
      else {
        documents.delete(key);
        for (const [seq, item] of stored) if (item.key === key) stored.delete(seq);
      }
    }
    this.commitItems(model, items);
    this.checkpoints.set(model, { version, position });
  }

  commitItems(model: string, items: readonly StoredItem[]): void {
    const stored = this.modelItems(model);
    for (const item of items) stored.set(item.seq, { ...item });
  }

  fail(model: string, version: number, failed: { position: number; error: string }): void {
    const position = this.checkpoints.get(model)?.position ?? 0;
    this.checkpoints.set(model, { version, position, failed });
  }

  reset(model: string): void {
    this.documents.delete(model);
    this.itemsByModel.delete(model);
    this.checkpoints.delete(model);
  }

  promote(shadow: string, model: string): void {
    this.documents.set(model, this.documents.get(shadow) ?? new Map());
    this.itemsByModel.set(model, this.itemsByModel.get(shadow) ?? new Map());
    this.checkpoints.set(model, this.checkpoints.get(shadow)!);
    this.reset(shadow);
  }

  close(): void {}
}

/** The index of the first cursor after `cursor`, in a list in calendar order. */
function afterCursor(cursors: SpanCursor[], cursor: SpanCursor): number {
  const index = cursors.findIndex(({ start, end, seq }) => start > cursor.start || (start === cursor.start && (end > cursor.end || (end === cursor.end && seq > cursor.seq))));
  return index < 0 ? cursors.length : index;
}
