import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { EventStoreError, StoreClosedError, StoreCorruptError, StoreUnavailableError } from '../errors.js';
import type {
  AppendResult, EventStore, EventToAppend, ExpectedRevision, ImportedEvent, ImportResult, ReadAllOptions, ReadStreamOptions, StoreHealth,
  ReadModelEvent, StoredEvent, StreamRevision, SubscribeOptions, Subscription,
} from '../port.js';
import type { AtomicImporter } from '../import-plan.js';
import { CatchUpSubscription, CommitSignal, readAllInPages, type DamagedEvent, type DamageReportingScan } from '../reading.js';
import { revisionOf, SqliteAppender } from './append.js';
import { Checkpointer } from './checkpointer.js';
import { importInOneTransaction } from './import.js';
import { CHECKPOINT_EVERY_FRAMES, CHECKPOINT_IDLE_MS, CHECKPOINT_INTERVAL_MS, estimatedFrames, TOP_UP_AFTER_WAL_FRAMES } from './pacing.js';
import { SqliteReader } from './reader.js';
import { isCorruption } from './reading.js';
import { configureConnection, migrate, prepareStatements, type Statements, type Synchronous } from './schema.js';
import { prepareEvents, validateExpectedRevision, validateStreamName, type PreparedEvent } from '../validation.js';

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
  private closed = false;
  private lastCommitError: string | undefined;
  /** Reads, with the damage they have met since the store opened (for health). */
  private readonly reader: SqliteReader;
  /** While an import's transaction is open, appends wait: on this connection they would join it. */
  private importing = false;
  /**
   * The worker's checkpoint races the writer, so under steady writes the WAL is never fully copied
   * when a commit starts, and SQLite only restarts the WAL at such a moment. Once the worker has
   * copied the bulk, the writer copies the small remainder itself before its next commit.
   */
  private topUpCheckpoint = false;
  private readonly durability: Synchronous;
  private readonly commitBatch: Database.Transaction<(batch: PendingAppend[], recordedAt: string) => Outcome[]>;
  private readonly appendInSavepoint: (pending: PendingAppend, recordedAt: string) => Outcome;

  private readonly stmt: Statements;
  private readonly appender: SqliteAppender;
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
    this.appender = new SqliteAppender(this.stmt);
    this.reader = new SqliteReader(this.db, this.stmt, () => this.assertOpen());
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

  append(stream: string, events: EventToAppend[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.assertOpen();
      validateStreamName(stream);
      const expected = validateExpectedRevision(options?.expectedRevision);
      const prepared = prepareEvents(events);
      this.queue.push({ stream, events: prepared, expected, resolve, reject });
      if (this.flushScheduled) return;
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
        this.appender.lastHashes.set(last.stream, { revision: last.revision, hash: last.hash });
        frames += estimatedFrames(batch[index]!.events);
      }
      batch[index]!.resolve(outcome.result);
    }
    if (frames > 0) {
      this.ownCommits++;
      this.signal.notify();
      this.checkpointer.noteCommit(frames + 1);
    }
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
    return { ok: true, result: this.appender.append(pending.stream, pending.events, pending.expected, recordedAt) };
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
      if (written) for (const stream of written.streams) this.appender.lastHashes.delete(stream);
      if (this.queue.length > 0 && !this.closed) this.flush();
    }
    if (written.imported > 0) {
      this.ownCommits++;
      this.signal.notify();
      this.checkpointer.noteCommit(written.frames + 1);
    }
    return { imported: written.imported, skipped: written.skipped };
  }

  /** Checked against the hash chain when read from revision 0 forwards (see reader.ts). */
  async *readStream(stream: string, options: ReadStreamOptions = {}): AsyncGenerator<StoredEvent> {
    this.assertOpen();
    validateStreamName(stream);
    yield* this.reader.stream(stream, options);
  }

  readAll(options: ReadAllOptions = {}): AsyncIterable<StoredEvent> {
    this.assertOpen();
    if (options.streamPrefix !== undefined) validateStreamName(options.streamPrefix, 'streamPrefix');
    return readAllInPages(this.reader.page, options);
  }

  subscribe(options: SubscribeOptions): Subscription {
    this.assertOpen();
    if (options.streamPrefix !== undefined) validateStreamName(options.streamPrefix, 'streamPrefix');
    return new CatchUpSubscription(this.reader.page, this.signal, options.fromPosition, options.streamPrefix);
  }

  subscribeForReadModels(options: SubscribeOptions): Subscription<ReadModelEvent> {
    this.assertOpen();
    if (options.streamPrefix !== undefined) validateStreamName(options.streamPrefix, 'streamPrefix');
    return new CatchUpSubscription(this.reader.leanPage, this.signal, options.fromPosition, options.streamPrefix);
  }

  async streamRevision(stream: string): Promise<StreamRevision> {
    this.assertOpen();
    validateStreamName(stream);
    try {
      return revisionOf(this.stmt, stream);
    } catch (error) {
      throw isCorruption(error) ? this.reader.noted(new StoreCorruptError(`the index of ${stream}`, { stream }, { cause: error })) : error;
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
        return { ok: true, adapter: 'sqlite', headPosition, durability: this.durability, degraded: [`writes are failing: ${this.lastCommitError}`, ...this.reader.damageSeen()] };
      }
      const damaged = this.reader.damageSeen();
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

  /** The whole log for `npm run verify`: damaged places are named in order and the scan goes on. */
  async *readAllReportingDamage(): AsyncGenerator<StoredEvent | DamagedEvent> {
    this.assertOpen();
    yield* this.reader.scan();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }
}
