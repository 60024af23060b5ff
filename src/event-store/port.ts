/**
 * The event store contract. Every adapter (SQLite, in-memory, EventStoreDB) honours it and
 * passes the same contract suite in tests/event-store/.
 *
 * Revisions are 0-based and gap-free within a stream. Positions are global, start at 1 and
 * only grow; a reader never sees a later position before an earlier one.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** What a stream is expected to be before an append: the optimistic concurrency check. */
export type ExpectedRevision = 'no_stream' | 'any' | 'stream_exists' | number;

/** A stream's last revision, or 'no_stream' when it has no events. */
export type StreamRevision = number | 'no_stream';

export interface EventToAppend {
  /** A UUID. Supplying it makes the append idempotent: a retry with the same ids succeeds once. */
  id?: string;
  type: string;
  data: JsonObject;
  metadata?: JsonObject;
}

export interface StoredEvent {
  id: string;
  stream: string;
  revision: number;
  position: number;
  type: string;
  data: JsonObject;
  metadata: JsonObject;
  /** ISO 8601 UTC timestamp taken by the store when the append was committed. */
  recordedAt: string;
  /** SHA-256 chaining this event to the one before it in its stream (see hash-chain.ts). */
  hash: string;
}

export interface AppendResult {
  /** The stream's revision after the append: the revision of its last event. */
  nextRevision: number;
  /** The global position of the last appended event. */
  position: number;
  events: StoredEvent[];
  /** True when the ids had been appended before and nothing new was written. */
  idempotentReplay: boolean;
}

export interface ReadStreamOptions {
  /** First revision to read (inclusive). Default: 0 forwards, the last revision backwards. */
  from?: number;
  /** Last revision to read (inclusive). */
  to?: number;
  direction?: 'forwards' | 'backwards';
}

export interface ReadAllOptions {
  /** First global position to read (inclusive). Default: 1, the start of the log. */
  fromPosition?: number;
  /** Only events whose stream name starts with this. */
  streamPrefix?: string;
  /** Stop after this many events. */
  limit?: number;
}

export interface SubscribeOptions {
  /** First global position to deliver (inclusive): a checkpoint plus one. */
  fromPosition: number;
  streamPrefix?: string;
}

/**
 * An event as read models fold it: no metadata and no hash, which no fold reads and which cost a
 * rebuild time to read and parse. Adapters that keep the data as JSON text (SQLite) hand the text
 * over too, as stored, which is `JSON.stringify(data)`: a read model that stores the data again
 * need not serialise it again.
 */
export type ReadModelEvent = Omit<StoredEvent, 'metadata' | 'hash'> & { dataText?: string };

/** Catch-up then live, in global order. Iterate it (or its pages, not both); `close()` ends the iteration. */
export interface Subscription<Event = StoredEvent> extends AsyncIterable<Event> {
  /** The same events a page at a time, as the store reads them: one promise a page instead of one an event, for a long backlog. */
  pages(): AsyncIterable<readonly Event[]>;
  close(): Promise<void>;
}

export interface StoreHealth {
  ok: boolean;
  adapter: string;
  /** The last global position, when the store can be read. */
  headPosition?: number;
  /** What an acknowledged append survives, where the adapter has a choice (SQLite: FULL or NORMAL). */
  durability?: string;
  detail?: string;
  /** Usable, but not wholly: why (writes failing for lack of disk, damaged data seen). `/health` says `degraded` with these. */
  degraded?: string[];
}

/** Events exported from a store, as they were stored there. Positions are the source's and are not kept. */
export type ImportedEvent = Omit<StoredEvent, 'position'> & { position?: number };

export interface ImportResult {
  /** Events written, each at the next global position of this store. */
  imported: number;
  /** Events this store already held (same id, stream and revision): merged imports never duplicate. */
  skipped: number;
}

export interface EventStore {
  /** True when positions number the events without gaps (1, 2, 3...), so that a difference of positions counts events. */
  readonly densePositions?: boolean;
  /** Appends atomically: all events of the call or none. Throws VersionConflictError on mismatch. */
  append(stream: string, events: EventToAppend[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult>;
  /**
   * Streams one stream's events; an unknown stream yields nothing. Read from revision 0 forwards
   * (whole, or up to `to`), each event is checked against the stream's hash chain before it is
   * handed out: a stream that is not what was appended is refused with IntegrityError at the first
   * event that breaks it. Every adapter does this, so every reader of a whole stream (rehydration,
   * history, audit) gets it and none checks again.
   */
  readStream(stream: string, options?: ReadStreamOptions): AsyncIterable<StoredEvent>;
  /** Streams the whole log in global order, a page at a time. */
  readAll(options?: ReadAllOptions): AsyncIterable<StoredEvent>;
  subscribe(options: SubscribeOptions): Subscription;
  /** Optional: the same subscription with lean events (see `ReadModelEvent`); projectors use `subscribe` without it. */
  subscribeForReadModels?(options: SubscribeOptions): Subscription<ReadModelEvent>;
  /** The stream's last revision, or 'no_stream'. */
  streamRevision(stream: string): Promise<StreamRevision>;
  /** The last global position, 0 for an empty log. */
  headPosition(): Promise<number>;
  health(): Promise<StoreHealth>;
  /**
   * A number that changes whenever an append commits, in this process or (where the adapter can
   * tell) another. Lets caches skip a read while nothing changed. Undefined: cannot tell, always read.
   */
  changeVersion?(): number | undefined;
  /**
   * Restores events exported from a store (`npm run import-log`): ids, revisions, recording times and
   * hashes are kept, positions are assigned in the order given. Each event must continue its stream's
   * hash chain; one that is already stored is skipped. All of a call or nothing (ImportRefusedError).
   * Optional: adapters whose server assigns recording times (EventStoreDB) cannot offer it.
   */
  importEvents?(events: ImportedEvent[]): Promise<ImportResult>;
  close(): Promise<void>;
}

/** Limits every adapter enforces, so that no input can bloat or corrupt a store. */
export const LIMITS = {
  /** data + metadata of one event, serialised as JSON. */
  maxEventBytes: 256 * 1024,
  maxEventsPerAppend: 1000,
  maxStreamNameLength: 200,
  maxTypeLength: 100,
  /** How deep JSON may nest before it is refused (guards recursive walkers downstream). */
  maxJsonDepth: 32,
} as const;
