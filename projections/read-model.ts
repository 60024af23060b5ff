import type { RecordedEvent } from '../domain/agreement/index.js';

/** An event as read models see it: the domain event and where it stands in the log. */
export interface ProjectedEvent {
  stream: string;
  position: number;
  recordedAt: string;
  event: RecordedEvent;
}

/**
 * One of a document's items (a step of an agreement): stored in a row of its own, so that a long
 * history is written once, item by item, and never held in memory as a whole. `seq` orders the
 * items of a document and identifies one: the global position of the event that added it.
 */
export interface Item<Value> {
  seq: number;
  value: Value;
}

/**
 * Items as a fold sees them: the stored ones, and those written by earlier events not yet stored.
 * A document keeps the `seq`s of its items (a number a step), so that finding them needs no index
 * by document: such an index, written in the log's interleaved order, made a rebuild three times slower.
 */
export interface Items<Value> {
  /** The items with these `seq`s, in the order given. Reads the disk: for the rare event that reaches back. */
  get(seqs: readonly number[]): Array<Item<Value>>;
  /** Adds an item, or replaces the one with the same `seq`. */
  put(item: Item<Value>): void;
}

/** How a model's items are stored: as JSON text, each with the days its date may mean (for period queries). */
export interface ItemCodec<Value> {
  serialize(value: Value): string;
  parse(json: string): Value;
  /** First and last day the item may fall on, YYYY-MM-DD; undefined: the item has no place in a calendar. */
  spanOf(value: Value): { start: string; end: string } | undefined;
}

/** A model whose documents have items says where a document keeps their `seq`s. */
export interface ItemsOf<Doc, Value> extends ItemCodec<Value> {
  seqsOf(document: Doc): readonly number[];
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
  private readonly bySeq = new Map<number, Value>();

  get(seqs: readonly number[]): Array<Item<Value>> {
    return seqs.flatMap((seq) => (this.bySeq.has(seq) ? [{ seq, value: this.bySeq.get(seq)! }] : []));
  }

  /** Every item, in `seq` order. */
  list(): Array<Item<Value>> {
    return this.get([...this.bySeq.keys()].sort((a, b) => a - b));
  }

  put({ seq, value }: Item<Value>): void {
    this.bySeq.set(seq, value);
  }
}
