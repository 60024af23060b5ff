import type { FastifyBaseLogger } from 'fastify';
import { walkBack, type Item, type Items, type ProjectedEvent, type ReadModel } from '../../projections/read-model.js';
import type { EventStore, ReadModelEvent, Subscription } from '../event-store/port.js';
import type { DocumentStore, ItemPage, SpanPage } from '../document-store/port.js';
import { decodeEvent, EVENT_VERSIONS } from '../../domain/agreement/index.js';
import { Backoff } from './backoff.js';
import { ChangedDocuments } from './changed-documents.js';
import { PendingItems } from './pending-items.js';
import { PositionWaiters } from './position-waiters.js';

export type ProjectionState = 'catching_up' | 'rebuilding' | 'live' | 'failed' | 'stopped';

export interface ProjectionStatus {
  name: string;
  version: number;
  state: ProjectionState;
  /** The last position applied (in memory) and the last one stored with the documents. */
  position: number;
  checkpoint: number;
  failed?: { position: number; error: string };
  /** Why it stopped on its own (its documents could not be stored, the log could not be read); a restart goes on from the checkpoint. */
  stopped?: { reason: string };
  /** While a new version is rebuilt: the version (and its position) that still answers queries. */
  replacing?: { version: number; position: number };
}

/**
 * While catching up, the items folded meanwhile are stored every `items` events (they wait in
 * memory until then; the SQLite store writes them on a thread of its own), and documents with the
 * checkpoint every `documents` events or every CATCH_UP_FLUSH_MS: each of those stores rewrites
 * every changed document, so they are rarer. Once live, everything is stored after each burst of
 * events. A few thousand items go to the writer before the young generation is collected twice,
 * so they die young instead of being copied and promoted (larger batches make garbage collection
 * a large share of a rebuild).
 */
export interface CatchUpBatches {
  items: number;
  documents: number;
}
const CATCH_UP_BATCHES: CatchUpBatches = { items: 2_000, documents: 500_000 };
/**
 * While catching up, documents and checkpoint are stored after this much work, then after twice
 * as much each time, up to the most: a process killed soon after each start (a crash loop) still
 * moves its checkpoint on, and a long catch-up pays for a handful of stores, not one a second.
 */
const CATCH_UP_FIRST_FLUSH_MS = 250;
const CATCH_UP_MOST_FLUSH_MS = 5000;
/**
 * Once live, documents and checkpoint are stored at most this often. Queries read the documents
 * in memory, so storing only bounds what a restart refolds; one store per event would be a
 * transaction on the read model's file for every step an officer records.
 */
const LIVE_FLUSH_MS = 200;
/** A model stopped by its storage or the log tries again after this, then twice as long each time, up to the most. */
const RECOVERY_FIRST_MS = 1000;
const RECOVERY_MOST_MS = 30_000;

/**
 * Runs one read model: subscribes from its checkpoint (catch-up, then live), folds events in
 * global order, and stores the changed documents with the new checkpoint in one transaction per
 * batch. An event that does not decode, or a fold that throws, stops this model at that event
 * (reported, logged); others go on.
 * Documents are kept in memory for queries (small: one per agreement); items stay on disk, and
 * those folded since the last store wait in `pendingItems`.
 */
export class Projector<Doc, Value = never> {
  private documents = new ChangedDocuments<Doc>();
  private pendingItems = new PendingItems();
  /** The items a fold sees, made once: the document being folded and what its event wrote so far. */
  private readonly folding = { key: '', written: [] as Array<Item<Value>> };
  private readonly foldItems: Items<Value> = {
    chain: (last) => this.ownChain(this.folding.key, last, this.folding.written),
    put: (item) => {
      // A list, emptied in place for each event: a Map's clear() made a new table every time.
      const written = this.folding.written;
      const index = written.findIndex(({ seq }) => seq === item.seq);
      if (index < 0) written.push(item);
      else written[index] = item;
    },
  };
  private subscription: Subscription<ReadModelEvent> | undefined;
  private running: Promise<void> | undefined;
  private flushScheduled = false;
  private liveFlush: NodeJS.Timeout | undefined;
  private lastFlushAt = performance.now();
  private flushEveryMs = CATCH_UP_FIRST_FLUSH_MS;
  /** Events applied since items were last stored, and since documents and checkpoint were. */
  private appliedSinceItems = 0;
  private appliedSinceFlush = 0;
  private readonly waiters = new PositionWaiters(() => this.status.position);
  private readonly recovery = new Backoff(RECOVERY_FIRST_MS, RECOVERY_MOST_MS);
  private stopping = false;
  private status: ProjectionStatus;

  constructor(
    private readonly store: EventStore,
    private readonly storage: DocumentStore,
    readonly model: ReadModel<Doc, Value>,
    private readonly logger: FastifyBaseLogger,
    private readonly catchUpBatches = CATCH_UP_BATCHES,
  ) {
    this.storageName = model.name;
    const live = storage.checkpoint(model.name);
    if (live && live.version !== model.version) {
      // A new version of the fold: it is built beside the old documents, which keep serving
      // until it has caught up, and then takes their place in one transaction.
      this.storageName = `${model.name}@v${model.version}`;
      this.serving = this.readOld(live.version);
      logger.info({ model: model.name, from: live.version, to: model.version }, 'read model version changed; rebuilding beside the old one');
    }
    const kept = storage.checkpoint(this.storageName);
    const position = this.loadStored();
    this.status = {
      name: model.name,
      version: model.version,
      state: kept?.failed ? 'failed' : 'stopped',
      position,
      checkpoint: position,
      ...(kept?.failed ? { failed: kept.failed } : {}),
      ...(live && live.version !== model.version ? { replacing: { version: live.version, position: live.position } } : {}),
    };
  }

  /** The documents as stored, and the checkpoint they stand at; what was folded since is dropped. */
  private loadStored(): number {
    this.documents = new ChangedDocuments<Doc>();
    this.pendingItems = new PendingItems();
    this.appliedSinceFlush = 0;
    this.appliedSinceItems = 0;
    for (const [key, json] of this.storage.loadAll(this.storageName)) this.documents.byKey.set(key, this.model.fromJSON(json));
    return this.storage.checkpoint(this.storageName)?.position ?? 0;
  }

  /** Where this projector stores: the model's name, or a shadow name while a new version is built. */
  private storageName: string;
  /** While a new version is built: the documents of the old one, which answer queries meanwhile. */
  private serving: Map<string, Doc> | undefined;

  private readOld(version: number): Map<string, Doc> {
    const old = new Map<string, Doc>();
    try {
      for (const [key, json] of this.storage.loadAll(this.model.name)) old.set(key, this.model.fromJSON(json));
    } catch (error) {
      // The old documents do not read with the new code: queries answer empty until the rebuild is done.
      this.logger.warn({ model: this.model.name, version, err: error }, 'old read model documents cannot be read; serving none while rebuilding');
      old.clear();
    }
    return old;
  }

  /** The rebuilt version has caught up: it replaces the old one, on disk and for queries. */
  private promote(): void {
    this.storage.promote(this.storageName, this.model.name);
    this.logger.info({ model: this.model.name, version: this.model.version, position: this.status.position }, 'rebuilt read model took over');
    this.storageName = this.model.name;
    this.serving = undefined;
    delete this.status.replacing;
  }

  start(): void {
    if (this.status.state === 'failed') {
      this.logger.error({ model: this.model.name, failed: this.status.failed }, 'read model stopped at an event it could not fold; not started');
      return;
    }
    this.status.state = this.serving ? 'rebuilding' : 'catching_up';
    delete this.status.stopped;
    const options = { fromPosition: this.status.position + 1, streamPrefix: this.model.streamPrefix };
    // Lean events carry no metadata, hence no schema version: they serve only while every event is of the first.
    const lean = EVENT_VERSIONS.current === 1 ? this.store.subscribeForReadModels?.(options) : undefined;
    this.subscription = lean ?? this.store.subscribe(options);
    this.lastFlushAt = performance.now();
    this.flushEveryMs = CATCH_UP_FIRST_FLUSH_MS;
    this.running = this.run(this.subscription);
    void this.liveIfNothingToCatchUp(options);
  }

  /** A subscription with no backlog yields nothing until the next write: the log says whether it is caught up. */
  private async liveIfNothingToCatchUp(options: { fromPosition: number; streamPrefix?: string }): Promise<void> {
    try {
      for await (const _event of this.store.readAll({ ...options, limit: 1 })) return;
    } catch {
      return; // the subscription meets the same error and reports it
    }
    if (this.status.state === 'catching_up' || this.status.state === 'rebuilding') this.scheduleFlush();
  }

  private async run(subscription: Subscription<ReadModelEvent>): Promise<void> {
    try {
      for await (const page of subscription.pages()) {
        // Before the page: the flush it schedules then sees the page applied, and waits for the next.
        this.scheduleFlush();
        for (const stored of page) {
          if (!this.apply(stored)) return;
          if (this.flushDue()) {
            if (!this.stored(() => this.flush())) return;
          } else if (this.appliedSinceItems >= this.catchUpBatches.items) {
            if (!this.stored(() => this.storeNewItems())) return;
          }
        }
      }
    } catch (error) {
      // Reading the log failed (the store closed under us, a disk error): not the fold's fault,
      // so nothing is recorded against an event; the model stops where it is.
      const code = (error as { code?: string }).code;
      if (code !== 'STORE_CLOSED') {
        this.logger.error({ model: this.model.name, err: error }, 'read model stopped: the log could not be read');
        this.status.stopped = { reason: `the log could not be read: ${(error as Error).message}` };
        // Damaged data stays damaged: reading it again from the checkpoint would fail the same way.
        if (code !== 'INTEGRITY_BROKEN' && code !== 'STORE_CORRUPT') this.scheduleRecovery();
      }
      this.status.state = 'stopped';
      this.waiters.wakeAll();
    }
  }

  /**
   * A model stopped by its storage (a full disk) or by the log resumes by itself: after a delay it
   * reloads what was stored and goes on from the checkpoint, as a restart would; the items stored
   * ahead of the checkpoint are written again, the same. While storing still fails, it stops again
   * and waits longer.
   */
  private scheduleRecovery(): void {
    if (!this.stopping) this.recovery.schedule(() => void this.recover());
  }

  private async recover(): Promise<void> {
    await this.running;
    if (this.stopping || this.status.state !== 'stopped' || !this.status.stopped) return;
    try {
      this.storage.recover?.();
      const position = this.loadStored();
      this.status.position = position;
      this.status.checkpoint = position;
    } catch (error) {
      this.logger.warn({ model: this.model.name, err: error }, 'read model could not resume yet');
      return this.scheduleRecovery();
    }
    this.logger.info({ model: this.model.name, position: this.status.position }, 'read model resumes from its checkpoint');
    this.start();
  }

  private apply(stored: ReadModelEvent): boolean {
    // Delivered again (a subscription resumed from earlier, a page read twice): it was applied once.
    if (stored.position <= this.status.position) return true;
    try {
      const decoded = decodeEvent(stored);
      // The stored text is the data's only while the data is the stored object (not upcast, not normalised).
      const dataText = decoded.data === stored.data ? stored.dataText : undefined;
      const event: ProjectedEvent = { stream: stored.stream, position: stored.position, recordedAt: stored.recordedAt, event: decoded, dataText };
      const key = this.model.keyOf(event);
      if (key !== undefined) {
        // Items are kept aside until the fold returns: a fold that throws half-way leaves none.
        const written = this.folding.written;
        written.length = 0;
        this.folding.key = key;
        const current = this.documents.byKey.get(key);
        if (current !== undefined && this.model.positionOf && stored.position <= this.model.positionOf(current)) return this.applied(stored.position);
        const next = this.model.fold(current, event, this.foldItems);
        this.documents.folded(key, current, next, this.model.name);
        if (next === undefined) {
          if (current !== undefined) this.pendingItems.dropKey(key);
        } else {
          const codec = this.model.items;
          if (codec) {
            for (const { seq, prev, value } of written) this.pendingItems.set({ key, seq, prev, json: codec.serialize(value, event), span: codec.spanOf(value) ?? null });
          }
        }
      }
    } catch (error) {
      this.stored(() => this.flush());
      const failed = { position: stored.position, error: (error as Error).message };
      this.status = { ...this.status, state: 'failed', failed };
      this.storage.fail(this.storageName, this.model.version, failed);
      this.logger.error({ model: this.model.name, position: stored.position, err: error }, 'read model stopped: this event could not be decoded or folded');
      void this.subscription?.close();
      this.waiters.wakeAll();
      return false;
    }
    return this.applied(stored.position);
  }

  private applied(position: number): boolean {
    this.status.position = position;
    this.appliedSinceFlush++;
    this.appliedSinceItems++;
    this.waiters.wakeReached();
    return true;
  }

  /**
   * Stores through `write`. When the store refuses (a disk error, items that could not be written),
   * the model stops where it is, as when the log cannot be read: not the fold's fault, so nothing is
   * recorded against an event, and a restart goes on from the checkpoint. The error is logged here
   * rather than reaching the event loop, where it would end the server.
   */
  private stored(write: () => void): boolean {
    try {
      write();
      return true;
    } catch (error) {
      const { position, checkpoint } = this.status;
      this.logger.error({ model: this.model.name, position, checkpoint, err: error }, 'read model stopped: its documents could not be stored');
      this.status.state = 'stopped';
      this.status.stopped = { reason: `its documents could not be stored: ${(error as Error).message}` };
      void this.subscription?.close();
      this.waiters.wakeAll();
      this.scheduleRecovery();
      return false;
    }
  }

  /** While catching up: after the documents' batch or the timer. */
  private flushDue(): boolean {
    // Events, not positions: EventStoreDB's positions are byte offsets, far from dense.
    const pending = this.appliedSinceFlush;
    if (pending === 0) return false;
    return pending >= this.catchUpBatches.documents || performance.now() - this.lastFlushAt >= this.flushEveryMs;
  }

  /**
   * Stores the items added since the checkpoint, ahead of it, so that they need not wait in memory
   * for the documents' store. After a crash the fold goes on from the checkpoint and writes each of
   * them again, the same. Items that existed at the checkpoint and were rewritten since (a correction
   * reaching back) wait for the checkpoint: stored early, the replay would apply the correction twice.
   */
  private storeNewItems(): void {
    const ahead = this.pendingItems.inOrder(this.status.checkpoint);
    this.storage.commitItems(this.storageName, ahead);
    this.pendingItems.stored(ahead);
    this.appliedSinceItems = 0;
  }

  /** Stores what changed since the last flush, with the checkpoint, in one transaction. */
  private flush(): void {
    if (this.status.position === this.status.checkpoint) return;
    const changes = this.documents.changes((document) => (this.model.serialize ? this.model.serialize(document) : JSON.stringify(this.model.toJSON(document))));
    const items = this.pendingItems.inOrder();
    this.storage.commit(this.storageName, this.model.version, this.status.position, changes, items);
    this.pendingItems.stored(items);
    this.documents.stored();
    this.appliedSinceFlush = 0;
    this.appliedSinceItems = 0;
    this.status.checkpoint = this.status.position;
    this.lastFlushAt = performance.now();
    this.flushEveryMs = Math.min(this.flushEveryMs * 2, CATCH_UP_MOST_FLUSH_MS);
    this.recovery.succeeded();
  }

  /**
   * Stores once events stop coming: a flush waits a turn of the event loop and goes ahead only if
   * nothing was applied meanwhile. While catching up, pages keep coming, so only the batch size and
   * the timer store; once caught up, each burst of live events is stored as it ends.
   */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const mark = this.status.position;
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.status.state === 'failed' || this.status.state === 'stopped') return;
      if (this.status.position !== mark) return this.scheduleFlush();
      if (this.status.state === 'live') return this.flushLiveSoon();
      if (!this.stored(() => this.flush())) return;
      if (this.serving) this.promote();
      this.status.state = 'live';
    });
  }

  /** A live burst is stored LIVE_FLUSH_MS after the last store at the earliest, with whatever came meanwhile. */
  private flushLiveSoon(): void {
    if (this.liveFlush) return;
    const wait = Math.max(0, LIVE_FLUSH_MS - (performance.now() - this.lastFlushAt));
    this.liveFlush = setTimeout(() => {
      this.liveFlush = undefined;
      if (this.status.state === 'live') this.stored(() => this.flush());
    }, wait);
  }

  get(key: string): Doc | undefined {
    return (this.serving ?? this.documents.byKey).get(key);
  }

  values(): IterableIterator<Doc> {
    return (this.serving ?? this.documents.byKey).values();
  }

  entries(): IterableIterator<[string, Doc]> {
    return (this.serving ?? this.documents.byKey).entries();
  }

  /** A document's items in order, as queries see them (the old version's, while a new one is built). */
  items(key: string): Array<Item<Value>> {
    const document = this.get(key);
    if (document === undefined) return [];
    const last = this.requireItems().lastOf(document);
    return this.serving ? walkBack(last, (seq) => this.storedItem(this.model.name, seq)) : this.ownChain(key, last);
  }

  /** This projector's chain: items written by the event being folded, folded since the last store, or stored. */
  private ownChain(key: string, last: number | null, written?: ReadonlyArray<Item<Value>>): Array<Item<Value>> {
    const codec = this.requireItems();
    return walkBack(last, (seq) => {
      const item = written?.find((mine) => mine.seq === seq);
      if (item) return item;
      const pending = this.pendingItems.get(seq, key);
      if (pending) return { seq, prev: pending.prev, value: codec.parse(pending.json) };
      return this.storedItem(this.storageName, seq);
    });
  }

  private storedItem(storageName: string, seq: number): Item<Value> | undefined {
    const row = this.storage.item(storageName, seq);
    return row && { seq, prev: row.prev, value: this.requireItems().parse(row.json) };
  }

  /** A page of the items that may fall in `start`-`end`, in calendar order (see `DocumentStore.itemsInSpan`). */
  itemsInSpan(start: string, end: string, page: SpanPage): Omit<ItemPage, 'items'> & { items: Array<{ key: string; item: Item<Value> }> } {
    const codec = this.requireItems();
    // What was folded is stored first, so the answer has every item the position says it has.
    // When storing fails, the answer is what is stored and the model stops until it can store.
    if (!this.serving && this.status.state !== 'failed' && this.status.state !== 'stopped') this.stored(() => this.flush());
    const found = this.storage.itemsInSpan(this.serving ? this.model.name : this.storageName, start, end, page);
    return { ...found, items: found.items.map(({ key, seq, prev, json }) => ({ key, item: { seq, prev, value: codec.parse(json) } })) };
  }

  private requireItems() {
    if (!this.model.items) throw new Error(`read model ${this.model.name} has no items`);
    return this.model.items;
  }

  get position(): number {
    return this.status.position;
  }

  describe(): ProjectionStatus {
    return structuredClone(this.status);
  }

  /** Resolves true once the model has applied `position`; false after `timeoutMs` or if it failed. */
  waitFor(position: number, timeoutMs: number): Promise<boolean> {
    if (this.status.position >= position) return Promise.resolve(true);
    if (this.status.state === 'failed') return Promise.resolve(false);
    return this.waiters.waitFor(position, timeoutMs);
  }

  /** Stops after storing what was folded. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.recovery.cancel();
    clearTimeout(this.liveFlush);
    this.liveFlush = undefined;
    await this.subscription?.close();
    await this.running;
    if (this.status.state !== 'failed') {
      this.stored(() => this.flush());
      this.status.state = 'stopped';
    }
  }
}
