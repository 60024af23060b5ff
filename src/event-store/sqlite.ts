import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { planAppend, type AppendView } from './append-plan.js';
import { DuplicateEventIdError, EventStoreError, IntegrityError, StoreClosedError, StoreCorruptError, StoreUnavailableError } from './errors.js';
import type {
  AppendResult, EventStore, EventToAppend, ExpectedRevision, ImportedEvent, ImportResult, ReadAllOptions, ReadStreamOptions, StoreHealth,
  ReadModelEvent, StoredEvent, StreamRevision, SubscribeOptions, Subscription,
} from './port.js';
import { BoundedMap } from '../util/bounded-map.js';
import { chainedHash, followChain, GENESIS_HASH, type ChainHead } from './hash-chain.js';
import type { AtomicImporter } from './import-plan.js';
import { CatchUpSubscription, CommitSignal, DamageSeen, PAGE_SIZE, readAllInPages, type DamagedEvent, type DamageReportingScan } from './reading.js';
import { Checkpointer } from './sqlite-checkpointer.js';
import { importInOneTransaction } from './sqlite-import.js';
import { CHECKPOINT_EVERY_FRAMES, CHECKPOINT_IDLE_MS, CHECKPOINT_INTERVAL_MS, estimatedFrames, SequentialWriter, TOP_UP_AFTER_WAL_FRAMES } from './sqlite-pacing.js';
import { DamageLocator, decodeLeanRow, decodeRow, isCorruption } from './sqlite-reading.js';
import { configureConnection, migrate, prepareStatements, rowToEvent, type EventRow, type LeanRow, type Statements, type Synchronous } from './sqlite-schema.js';
import { prepareEvents, validateExpectedRevision, validateStreamName, type PreparedEvent } from './validation.js';

export interface SqliteStoreOptions {
  /** FULL (default): an acknowledged append survives power loss. NORMAL: survives a process crash only. */
  synchronous?: Synchronous;
  now?: () => Date;
}

interface PendingAppend {
  stream: string;
  events: PreparedEvent[];
  expected: ExpectedRevision;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; result: AppendResult } | { ok: false; error: unknown };

/**
 * The embedded default: one durable SQLite file. Appends are group-committed: every append that
 * arrives while the event loop is busy joins the next transaction, each checked against its own
 * expected revision inside a savepoint, and each acknowledged only after that transaction committed.
 */
export class SqliteEventStore implements EventStore, AtomicImporter, DamageReportingScan {
  readonly densePositions = true;
  private readonly db: Database.Database;
  private readonly signal = new CommitSignal();
  private readonly checkpointer: Checkpointer;
  private readonly now: () => Date;
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  private readonly sequential = new SequentialWriter();
  private closed = false;
  private lastCommitError: string | undefined;
  /** Damaged data reads have met since the store opened, for its health. */
  private readonly damage = new DamageSeen();
  private readonly locate: DamageLocator;
  /** While an import's transaction is open, appends wait: on this connection they would join it. */
  private importing = false;
  /**
   * The worker's checkpoint races the writer, so under steady writes the WAL is never fully copied
   * when a commit starts, and SQLite only restarts the WAL at such a moment. Once the worker has
   * copied the bulk, the writer copies the small remainder itself before its next commit.
   */
  private topUpCheckpoint = false;
  /** Each stream's last committed hash, so an append need not read it back (only committed ones go in). */
  private readonly lastHashes = new BoundedMap<string, { revision: number; hash: string }>(10_000);
  private readonly durability: Synchronous;
  private readonly commitBatch: Database.Transaction<(batch: PendingAppend[], recordedAt: string) => Outcome[]>;
  private readonly appendInSavepoint: (pending: PendingAppend, recordedAt: string) => Outcome;

  private readonly stmt: Statements;
  private ownCommits = 0;
  private externalCommits = 0;
  private lastDataVersion = -1;
  private dataVersionAskedAt = Number.NEGATIVE_INFINITY;

  constructor(readonly file: string, options: SqliteStoreOptions = {}) {
    this.now = options.now ?? (() => new Date());
    mkdirSync(dirname(file), { recursive: true });
    try {
      this.db = new Database(file);
      this.durability = options.synchronous ?? 'FULL';
      configureConnection(this.db, this.durability);
      migrate(this.db);
    } catch (error) {
      if (error instanceof EventStoreError) throw error;
      throw new StoreUnavailableError(`cannot open ${file}: ${(error as Error).message}`, { cause: error });
    }
    this.stmt = prepareStatements(this.db);
    this.locate = new DamageLocator(this.db);
    // Created once: better-sqlite3 turns the inner one into a SAVEPOINT when called inside the outer.
    this.commitBatch = this.db.transaction((batch: PendingAppend[], recordedAt: string) => this.commitBatchNow(batch, recordedAt));
    this.appendInSavepoint = this.db.transaction((pending: PendingAppend, recordedAt: string) => this.appendNow(pending, recordedAt));
    this.checkpointer = new Checkpointer(
      file,
      (walFrames) => (this.topUpCheckpoint ||= walFrames >= TOP_UP_AFTER_WAL_FRAMES),
      CHECKPOINT_EVERY_FRAMES,
      CHECKPOINT_INTERVAL_MS,
      CHECKPOINT_IDLE_MS,
    );
  }

  private readonly view: AppendView = {
    streamRevision: (stream) => this.revisionOf(stream),
    findEvent: (id) => this.stmt.findById.get(id) as { stream: string; revision: number } | undefined,
    readRange: (stream, from, count) =>
      (this.stmt.range.all(stream, from, from + count - 1, count) as EventRow[]).map(rowToEvent),
  };

  append(stream: string, events: EventToAppend[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.assertOpen();
      validateStreamName(stream);
      const expected = validateExpectedRevision(options?.expectedRevision);
      const prepared = prepareEvents(events);
      this.queue.push({ stream, events: prepared, expected, resolve, reject });
      if (this.flushScheduled) return;
      if (this.sequential.mayCommitNow()) return this.flush();
      this.flushScheduled = true;
      setImmediate(this.flush);
    });
  }

  /** One transaction for everything queued since the last flush: one fsync for many writers. */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.importing) return;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let outcomes: Outcome[];
    try {
      if (this.topUpCheckpoint) {
        this.topUpCheckpoint = false;
        this.db.pragma('wal_checkpoint(PASSIVE)');
      }
      // IMMEDIATE: take the write lock before reading revisions, so that a writer in another
      // process makes this wait (busy_timeout) instead of failing the batch half-way.
      outcomes = this.commitBatch.immediate(batch, this.now().toISOString());
      this.lastCommitError = undefined;
    } catch (error) {
      if (batch.length === 1 && error instanceof EventStoreError) return batch[0]!.reject(error);
      this.lastCommitError = (error as Error).message;
      const failure = new StoreUnavailableError(`commit failed: ${this.lastCommitError}`, { cause: error });
      for (const pending of batch) pending.reject(failure);
      return;
    }
    let frames = 0;
    for (let index = 0; index < outcomes.length; index++) {
      const outcome = outcomes[index]!;
      if (!outcome.ok) {
        batch[index]!.reject(outcome.error);
        continue;
      }
      if (!outcome.result.idempotentReplay) {
        const last = outcome.result.events[outcome.result.events.length - 1]!;
        this.lastHashes.set(last.stream, { revision: last.revision, hash: last.hash });
        frames += estimatedFrames(batch[index]!.events);
      }
      batch[index]!.resolve(outcome.result);
    }
    if (frames > 0) {
      this.ownCommits++;
      this.signal.notify();
      this.checkpointer.noteCommit(frames + 1);
    }
    this.sequential.committed(batch.length, frames);
  };

  private commitBatchNow(batch: PendingAppend[], recordedAt: string): Outcome[] {
    // A lone append needs no savepoint: if it fails, the whole transaction rolls back (see flush).
    if (batch.length === 1) return [this.appendNow(batch[0]!, recordedAt)];
    return batch.map((pending): Outcome => {
      try {
        return this.appendInSavepoint(pending, recordedAt);
      } catch (error) {
        // Some SQLite errors (disk full, I/O) roll back the whole transaction: then the batch fails.
        if (!this.db.inTransaction) throw error;
        return { ok: false, error };
      }
    });
  }

  private appendNow(pending: PendingAppend, recordedAt: string): Outcome {
    const { stream, events, expected } = pending;
    const plan = planAppend(this.view, stream, events, expected);
    if (plan.kind === 'replay') return { ok: true, result: plan.result };
    const known = this.lastHashes.get(stream);
    let previousHash =
      plan.firstRevision === 0 ? GENESIS_HASH
      : known?.revision === plan.firstRevision - 1 ? known.hash
      : (this.stmt.hashAt.get(stream, plan.firstRevision - 1) as string);
    const stored = events.map((event, index): StoredEvent => {
      const revision = plan.firstRevision + index;
      const { id, type, dataJson, metadataJson } = event;
      const hash = chainedHash({ id, stream, revision, type, dataJson, metadataJson }, previousHash);
      // The caller's objects when their JSON reads back the same (see PreparedEvent): parsing it
      // again cost a sequential writer about 3 us an append.
      const data = event.data ?? JSON.parse(dataJson);
      const metadata = event.metadata ?? JSON.parse(metadataJson);
      previousHash = hash;
      const position = this.insert(stream, revision, event, recordedAt, hash);
      return { id, stream, revision, position, type, data, metadata, recordedAt, hash };
    });
    const last = stored[stored.length - 1]!;
    return { ok: true, result: { nextRevision: last.revision, position: last.position, events: stored, idempotentReplay: false } };
  }

  private insert(stream: string, revision: number, event: PreparedEvent, recordedAt: string, hash: string): number {
    try {
      const info = this.stmt.insert.run(event.id, stream, revision, event.type, event.dataJson, event.metadataJson, recordedAt, hash);
      return Number(info.lastInsertRowid);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'SQLITE_CONSTRAINT_UNIQUE' && String((error as Error).message).includes('event_id')) {
        throw new DuplicateEventIdError(event.id);
      }
      throw error;
    }
  }

  /** A batch as one import: all of it or nothing. */
  importEvents(events: ImportedEvent[]): Promise<ImportResult> {
    return this.importAll([events]);
  }

  /** A whole import in one transaction (see importInOneTransaction); appends queued meanwhile commit after it. */
  async importAll(batches: AsyncIterable<ImportedEvent[]> | Iterable<ImportedEvent[]>): Promise<ImportResult> {
    this.assertOpen();
    if (this.importing) throw new StoreUnavailableError('another import is running');
    this.flush();
    this.importing = true;
    let written: Awaited<ReturnType<typeof importInOneTransaction>> | undefined;
    try {
      written = await importInOneTransaction(this.db, this.stmt, batches, () => this.assertOpen());
    } finally {
      this.importing = false;
      if (written) for (const stream of written.streams) this.lastHashes.delete(stream);
      if (this.queue.length > 0 && !this.closed) this.flush();
    }
    if (written.imported > 0) {
      this.ownCommits++;
      this.signal.notify();
      this.checkpointer.noteCommit(written.frames + 1);
    }
    return { imported: written.imported, skipped: written.skipped };
  }

  /**
   * Read from revision 0 forwards (whole, or up to `to`), each event is also checked against the
   * stream's hash chain, from the text as stored: a stream that is not what was appended is refused
   * (IntegrityError) at the first event that breaks it, as is one whose row does not decode; an
   * unreadable page is a StoreCorruptError naming the revision. Either is noted for health().
   */
  async *readStream(stream: string, options: ReadStreamOptions = {}): AsyncGenerator<StoredEvent> {
    this.assertOpen();
    validateStreamName(stream);
    const backwards = options.direction === 'backwards';
    let low = backwards ? (options.to ?? 0) : (options.from ?? 0);
    let high = backwards ? (options.from ?? Number.MAX_SAFE_INTEGER) : (options.to ?? Number.MAX_SAFE_INTEGER);
    const checked = !backwards && low === 0;
    let head: ChainHead | undefined;
    try {
      while (low <= high) {
        this.assertOpen();
        let rows: EventRow[];
        try {
          rows = (backwards ? this.stmt.rangeBackwards : this.stmt.range).all(stream, low, high, PAGE_SIZE) as EventRow[];
        } catch (error) {
          throw isCorruption(error) ? this.locate.inStream(stream, low, high, error) : error;
        }
        for (const row of rows) {
          const event = decodeRow(row);
          if (checked) {
            const link = followChain(event, head, { dataJson: row[5], metadataJson: row[6] });
            if (link.broken) throw new IntegrityError(stream, event.position, event.revision, event.id, link.broken);
            head = link.head;
          }
          yield event;
        }
        if (rows.length < PAGE_SIZE) return;
        const lastRevision = rows[rows.length - 1]![3];
        if (backwards) high = lastRevision - 1;
        else low = lastRevision + 1;
      }
    } catch (error) {
      throw this.noted(error);
    }
  }

  readAll(options: ReadAllOptions = {}): AsyncIterable<StoredEvent> {
    this.assertOpen();
    if (options.streamPrefix !== undefined) validateStreamName(options.streamPrefix, 'streamPrefix');
    return readAllInPages(this.readPage, options);
  }

  subscribe(options: SubscribeOptions): Subscription {
    this.assertOpen();
    if (options.streamPrefix !== undefined) validateStreamName(options.streamPrefix, 'streamPrefix');
    return new CatchUpSubscription(this.readPage, this.signal, options.fromPosition, options.streamPrefix);
  }

  subscribeForReadModels(options: SubscribeOptions): Subscription<ReadModelEvent> {
    this.assertOpen();
    if (options.streamPrefix !== undefined) validateStreamName(options.streamPrefix, 'streamPrefix');
    return new CatchUpSubscription(this.readLeanPage, this.signal, options.fromPosition, options.streamPrefix);
  }

  async streamRevision(stream: string): Promise<StreamRevision> {
    this.assertOpen();
    validateStreamName(stream);
    try {
      return this.revisionOf(stream);
    } catch (error) {
      throw isCorruption(error) ? this.noted(new StoreCorruptError(`the index of ${stream}`, { stream }, { cause: error })) : error;
    }
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    return this.stmt.head.get() as number;
  }

  /**
   * Own commits are counted as they happen; other connections' commits are seen through
   * `data_version`, asked at most once a millisecond (the pragma costs a few µs on every read).
   */
  changeVersion(): number | undefined {
    if (this.closed) return undefined;
    const now = performance.now();
    if (now - this.dataVersionAskedAt >= 1) {
      this.dataVersionAskedAt = now;
      const dataVersion = this.stmt.dataVersion.get() as number;
      if (dataVersion !== this.lastDataVersion) {
        this.lastDataVersion = dataVersion;
        this.externalCommits++;
      }
    }
    return this.ownCommits + this.externalCommits;
  }

  async health(): Promise<StoreHealth> {
    if (this.closed) return { ok: false, adapter: 'sqlite', detail: 'closed' };
    try {
      const headPosition = this.stmt.head.get() as number;
      if (this.lastCommitError) {
        // Reads still work: the store is degraded, not down, until a commit succeeds again. No
        // probe can say sooner: a small write can fit where the failed one did not.
        return { ok: true, adapter: 'sqlite', headPosition, durability: this.durability, degraded: [`writes are failing: ${this.lastCommitError}`, ...this.damage.reasons()] };
      }
      const damaged = this.damage.reasons();
      return { ok: true, adapter: 'sqlite', headPosition, durability: this.durability, ...(damaged.length > 0 ? { degraded: damaged } : {}) };
    } catch (error) {
      return { ok: false, adapter: 'sqlite', detail: 'the database cannot be read' };
    }
  }

  /** Commits what is queued, stops the checkpointer (after a last checkpoint) and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.signal.notify();
    await this.checkpointer.close();
    this.db.close();
  }

  private readonly readPage = (fromPosition: number, limit: number, prefix: string | undefined): StoredEvent[] => {
    this.assertOpen();
    try {
      return this.pageRows<EventRow>(fromPosition, limit, () =>
        prefix === undefined ? this.stmt.page.all(fromPosition, limit) : this.stmt.pageWithPrefix.all(fromPosition, prefix.length, prefix, limit),
      ).map(decodeRow);
    } catch (error) {
      throw this.noted(error);
    }
  };

  private readonly readLeanPage = (fromPosition: number, limit: number, prefix: string | undefined): ReadModelEvent[] => {
    this.assertOpen();
    try {
      return this.pageRows<LeanRow>(fromPosition, limit, () =>
        prefix === undefined ? this.stmt.leanPage.all(fromPosition, limit) : this.stmt.leanPageWithPrefix.all(fromPosition, prefix.length, prefix, limit),
      ).map(decodeLeanRow);
    } catch (error) {
      throw this.noted(error);
    }
  };

  private pageRows<Row>(fromPosition: number, limit: number, read: () => unknown[]): Row[] {
    try {
      return read() as Row[];
    } catch (error) {
      throw isCorruption(error) ? this.locate.inLog(fromPosition, limit, error) : error;
    }
  }

  /** The whole log for `npm run verify`: damaged places are named in order and the scan goes on. */
  async *readAllReportingDamage(): AsyncGenerator<StoredEvent | DamagedEvent> {
    this.assertOpen();
    const head = this.stmt.head.get() as number;
    for (const item of this.locate.scan(this.stmt.page, head)) {
      this.assertOpen();
      yield item;
    }
  }

  /** Damage is remembered for health(); any other error passes through as it is. */
  private noted(error: unknown): unknown {
    if (error instanceof IntegrityError || error instanceof StoreCorruptError) this.damage.note(error);
    return error;
  }

  private revisionOf(stream: string): StreamRevision {
    const revision = this.stmt.revision.get(stream) as number | null;
    return revision === null ? 'no_stream' : revision;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }
}
