import type { RecordedEvent } from '../domain/agreement/index.js';

/** An event as read models see it: the domain event and where it stands in the log. */
export interface ProjectedEvent {
  stream: string;
  position: number;
  recordedAt: string;
  event: RecordedEvent;
  /** `JSON.stringify(event.data)`, when the store handed it over (see `ReadModelEvent` in the event store's port). */
  dataText?: string;
}

/**
 * One of a document's items (a step of an agreement): stored in a row of its own, so that a long
 * history is written once, item by item, and never held in memory as a whole. `seq` identifies
 * an item: the global position of the event that added it. A document's items form a chain,
 * each naming the one before it, and the document keeps the last: finding them needs no index by
 * document (such an index, written in the log's interleaved order, made a rebuild three times
 * slower) and the document stays the same size however long its history.
 */
export interface Item<Value> {
  seq: number;
  /** The document's item before this one; null for its first. */
  prev: number | null;
  value: Value;
}

/** Items as a fold sees them: the stored ones, and those written by earlier events not yet stored. */
export interface Items<Value> {
  /** A document's items in order, walked back from its last one. Reads the disk: for the rare event that reaches back. */
  chain(last: number | null): Array<Item<Value>>;
  /** Adds an item, or replaces the one with the same `seq`. */
  put(item: Item<Value>): void;
}

/** How a model's items are stored: as JSON text, each with the days its date may mean (for period queries). */
export interface ItemCodec<Value> {
  /** The item as JSON text, equal to `JSON.stringify(value)`; written by `event`, which may spare serialising its data again. */
  serialize(value: Value, event?: ProjectedEvent): string;
  parse(json: string): Value;
  /** First and last day the item may fall on, YYYY-MM-DD; undefined: the item has no place in a calendar. */
  spanOf(value: Value): { start: string; end: string } | undefined;
}

/** A model whose documents have items says which is a document's last. */
export interface ItemsOf<Doc, Value> extends ItemCodec<Value> {
  lastOf(document: Doc): number | null;
}

/**
 * A read model: a pure fold over the log, one document per key. The projector keeps documents
 * live in memory and stores them as JSON with the checkpoint, so documents must stay small:
 * what grows with a history goes into items (see `Item`), which live on disk.
 */
export interface ReadModel<Doc, Value = never> {
  name: string;
  /** Bump when the fold or the document shape changes: the model is rebuilt from position 1. */
  version: number;
  streamPrefix: string;
  /** Which document an event belongs to; undefined: the model ignores it. */
  keyOf(event: ProjectedEvent): string | undefined;
  /**
   * The position of the last event folded into the document. Delivery is at least once: an event at
   * or below it was folded already and is skipped, as is any at or below the model's checkpoint.
   */
  positionOf?(document: Doc): number;
  /** The document after the event. Deterministic: the same log gives the same documents and items. */
  fold(document: Doc | undefined, event: ProjectedEvent, items: Items<Value>): Doc | undefined;
  toJSON(document: Doc): unknown;
  /** Optional: the document as JSON text, equal to `JSON.stringify(toJSON(document))`, written quicker. */
  serialize?(document: Doc): string;
  /** Throws when the JSON is not a document of this version (an old version's, read while rebuilding). */
  fromJSON(json: unknown): Doc;
  /** Models whose documents have items. */
  items?: ItemsOf<Doc, Value>;
}

/** Items kept in memory: for replays that fold a log outside the projector (as-of questions, tests). */
export class ItemsInMemory<Value> implements Items<Value> {
  private readonly bySeq = new Map<number, Item<Value>>();

  chain(last: number | null): Array<Item<Value>> {
    return walkBack(last, (seq) => this.bySeq.get(seq));
  }

  /** Every item, in `seq` order. */
  list(): Array<Item<Value>> {
    return [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  put(item: Item<Value>): void {
    this.bySeq.set(item.seq, item);
  }
}

/** The chain ending at `last`, in order. Throws on a missing link: a document must not silently lose steps. */
export function walkBack<Value>(last: number | null, find: (seq: number) => Item<Value> | undefined): Array<Item<Value>> {
  const items: Array<Item<Value>> = [];
  for (let seq = last; seq !== null; ) {
    const item = find(seq);
    if (!item) throw new Error(`item ${seq} is missing from its document's chain`);
    items.push(item);
    seq = item.prev;
  }
  return items.reverse();
}
