import { planAppend, type AppendView } from '../append-plan.js';
import { StoreClosedError, StoreUnavailableError } from '../errors.js';
import { chainedHash, GENESIS_HASH } from '../hash-chain.js';
import { planImport, type AtomicImporter, type ImportRow } from '../import-plan.js';
import type {
  AppendResult, EventStore, EventToAppend, ExpectedRevision, ImportedEvent, ImportResult, ReadAllOptions, ReadStreamOptions, StoreHealth,
  StoredEvent, StreamRevision, SubscribeOptions, Subscription,
} from '../port.js';
import { CatchUpSubscription, chainChecked, CommitSignal, readAllInPages, readsFromStart } from '../reading.js';
import { prepareEvents, validateExpectedRevision, validateStreamName } from '../validation.js';

/**
 * The in-memory adapter: same contract as the durable ones, for fast unit tests only.
 * Events are stored frozen and handed out as copies, so callers can never change the log.
 */
export class MemoryEventStore implements EventStore, AtomicImporter {
  readonly densePositions = true;
  private readonly log: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly byId = new Map<string, StoredEvent>();
  private readonly signal = new CommitSignal();
  private closed = false;

  constructor(private readonly now: () => Date = () => new Date()) {}

  private readonly view: AppendView = {
    streamRevision: (stream) => this.revisionOf(stream),
    findEvent: (id) => this.byId.get(id),
    readRange: (stream, from, count) => (this.streams.get(stream) ?? []).slice(from, from + count).map(copy),
  };

  async append(stream: string, events: EventToAppend[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    this.assertOpen();
    validateStreamName(stream);
    const expected = validateExpectedRevision(options?.expectedRevision);
    const prepared = prepareEvents(events);
    const plan = planAppend(this.view, stream, prepared, expected);
    if (plan.kind === 'replay') return plan.result;

    const recordedAt = this.now().toISOString();
    const existing = this.streams.get(stream);
    let previousHash = existing?.[existing.length - 1]?.hash ?? GENESIS_HASH;
    const stored = prepared.map((event, index): StoredEvent => {
      const unhashed = {
        id: event.id,
        stream,
        revision: plan.firstRevision + index,
        position: this.log.length + index + 1,
        type: event.type,
        data: JSON.parse(event.dataJson),
        metadata: JSON.parse(event.metadataJson),
        recordedAt,
      };
      previousHash = chainedHash({ ...unhashed, dataJson: event.dataJson, metadataJson: event.metadataJson }, previousHash);
      return deepFreeze({ ...unhashed, hash: previousHash });
    });
    const streamEvents = this.streams.get(stream) ?? [];
    this.streams.set(stream, streamEvents);
    for (const event of stored) {
      this.log.push(event);
      streamEvents.push(event);
      this.byId.set(event.id, event);
    }
    this.signal.notify();
    const last = stored[stored.length - 1]!;
    return { nextRevision: last.revision, position: last.position, events: stored.map(copy), idempotentReplay: false };
  }

  importEvents(events: ImportedEvent[]): Promise<ImportResult> {
    return this.importAll([events]);
  }

  /**
   * Plans every batch against the log and the batches before it, and stores nothing until the
   * last one is planned: a batch refused (or a source that throws) leaves the log as it was.
   */
  async importAll(batches: AsyncIterable<ImportedEvent[]> | Iterable<ImportedEvent[]>): Promise<ImportResult> {
    this.assertOpen();
    const length = this.log.length;
    const staged: ImportRow[] = [];
    const heads = new Map<string, { revision: number; hash: string }>();
    const ids = new Map<string, ImportRow>();
    let skipped = 0;
    for await (const events of batches) {
      this.assertOpen();
      const plan = planImport({
        streamHead: (stream) => {
          const last = heads.get(stream) ?? this.streams.get(stream)?.at(-1);
          return last && { revision: last.revision, hash: last.hash };
        },
        findEvent: (id) => ids.get(id) ?? this.byId.get(id),
      }, events);
      for (const row of plan.rows) {
        staged.push(row);
        heads.set(row.stream, row);
        ids.set(row.id, row);
      }
      skipped += plan.skipped;
    }
    this.assertOpen();
    // The plan holds for the log it was made against only.
    if (this.log.length !== length) throw new StoreUnavailableError('events were appended while the import ran; nothing was imported');
    for (const row of staged) {
      const { dataJson: _data, metadataJson: _metadata, ...event } = row;
      const stored = deepFreeze({ ...event, position: this.log.length + 1 });
      this.log.push(stored);
      const stream = this.streams.get(stored.stream) ?? [];
      this.streams.set(stored.stream, stream);
      stream.push(stored);
      this.byId.set(stored.id, stored);
    }
    if (staged.length > 0) this.signal.notify();
    return { imported: staged.length, skipped };
  }

  async *readStream(stream: string, options: ReadStreamOptions = {}): AsyncGenerator<StoredEvent> {
    this.assertOpen();
    validateStreamName(stream);
    yield* readsFromStart(options) ? chainChecked(this.readStreamUnchecked(stream, options)) : this.readStreamUnchecked(stream, options);
  }

  private *readStreamUnchecked(stream: string, options: ReadStreamOptions): Generator<StoredEvent> {
    const events = this.streams.get(stream) ?? [];
    if (options.direction === 'backwards') {
      const from = Math.min(options.from ?? events.length - 1, events.length - 1);
      for (let revision = from; revision >= (options.to ?? 0); revision--) yield copy(events[revision]!);
      return;
    }
    const to = Math.min(options.to ?? events.length - 1, events.length - 1);
    for (let revision = options.from ?? 0; revision <= to; revision++) yield copy(events[revision]!);
  }

  readAll(options: ReadAllOptions = {}): AsyncIterable<StoredEvent> {
    this.assertOpen();
    return readAllInPages(this.readPage, options);
  }

  subscribe(options: SubscribeOptions): Subscription {
    this.assertOpen();
    return new CatchUpSubscription(this.readPage, this.signal, options.fromPosition, options.streamPrefix);
  }

  async streamRevision(stream: string): Promise<StreamRevision> {
    this.assertOpen();
    return this.revisionOf(validateStreamName(stream));
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    return this.log.length;
  }

  changeVersion(): number | undefined {
    return this.closed ? undefined : this.log.length;
  }

  async health(): Promise<StoreHealth> {
    if (this.closed) return { ok: false, adapter: 'memory', detail: 'closed' };
    return { ok: true, adapter: 'memory', headPosition: this.log.length };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.signal.notify();
  }

  private readonly readPage = (fromPosition: number, limit: number, prefix: string | undefined): StoredEvent[] => {
    if (this.closed) throw new StoreClosedError();
    const page: StoredEvent[] = [];
    for (let index = Math.max(0, fromPosition - 1); index < this.log.length && page.length < limit; index++) {
      const event = this.log[index]!;
      if (prefix === undefined || event.stream.startsWith(prefix)) page.push(copy(event));
    }
    return page;
  };

  private revisionOf(stream: string): StreamRevision {
    const events = this.streams.get(stream);
    return events && events.length > 0 ? events.length - 1 : 'no_stream';
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }
}

function copy(event: StoredEvent): StoredEvent {
  return structuredClone(event);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
