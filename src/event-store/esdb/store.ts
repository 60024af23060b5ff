import { appendToEsdb } from './append.js';
import { isLedgerEvent, unwrapEvent } from './envelope.js';
import { readStartFor, toPortPosition } from './positions.js';
import { withRetry, type RetryHooks } from './retry.js';
import { EsdbSubscription } from './subscription.js';
import type { EsdbWire, TransientWireError, WireEvent } from './wire.js';
import { EventStoreError, StoreClosedError } from '../errors.js';
import type {
  AppendResult, EventStore, EventToAppend, ExpectedRevision, ReadAllOptions, ReadStreamOptions, StoreHealth, StoredEvent,
  StreamRevision, SubscribeOptions, Subscription,
} from '../port.js';
import { chainChecked, PAGE_SIZE, readAllInPages, readsFromStart } from '../reading.js';
import { prepareEvents, validateExpectedRevision, validateStreamName } from '../validation.js';

/** How long health() waits for the server before it reports the store as unreachable. */
const HEALTH_TIMEOUT_MS = 3000;

/**
 * The EventStoreDB adapter: the port over any EsdbWire (client.ts builds the real one). Appends to one
 * stream from this process are queued, so they never race each other; other processes are handled
 * by the exact-revision append and a re-plan (append.ts).
 */
export class EsdbEventStore implements EventStore {
  private closed = false;
  private readonly subscriptions = new Set<EsdbSubscription>();
  private readonly streamQueues = new Map<string, Promise<unknown>>();
  private lastTransient: { at: string; message: string } | undefined;
  private readonly hooks: RetryHooks = {
    isClosed: () => this.closed,
    onTransient: (error: TransientWireError) => {
      this.lastTransient = { at: new Date().toISOString(), message: error.message };
    },
  };

  constructor(private readonly wire: EsdbWire) {}

  async append(stream: string, events: EventToAppend[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    this.assertOpen();
    validateStreamName(stream);
    const expected = validateExpectedRevision(options?.expectedRevision);
    const prepared = prepareEvents(events);
    return this.queued(stream, () => appendToEsdb(this.wire, this.hooks, stream, prepared, expected));
  }

  /** Checked against the hash chain when read from revision 0 forwards (see port.ts). */
  async *readStream(stream: string, options: ReadStreamOptions = {}): AsyncGenerator<StoredEvent> {
    this.assertOpen();
    validateStreamName(stream);
    yield* readsFromStart(options) ? chainChecked(this.readStreamUnchecked(stream, options)) : this.readStreamUnchecked(stream, options);
  }

  private async *readStreamUnchecked(stream: string, options: ReadStreamOptions): AsyncGenerator<StoredEvent> {
    const backwards = options.direction === 'backwards';
    const to = options.to ?? (backwards ? 0 : Number.POSITIVE_INFINITY);
    let next: number | 'end' = options.from ?? (backwards ? 'end' : 0);
    for (;;) {
      const from = next;
      const count = backwards || from === 'end' ? PAGE_SIZE : Math.min(PAGE_SIZE, to - from + 1);
      if (count <= 0) return;
      const page = await withRetry(() => this.wire.readStream(stream, from, backwards ? 'backwards' : 'forwards', count), this.hooks);
      for (const raw of page) {
        if (backwards ? raw.revision < to : raw.revision > to) return;
        yield unwrapEvent(raw).event;
      }
      const last = page[page.length - 1];
      if (last === undefined || page.length < count) return;
      next = backwards ? last.revision - 1 : last.revision + 1;
      if (next < 0) return;
    }
  }

  readAll(options: ReadAllOptions = {}): AsyncIterable<StoredEvent> {
    this.assertOpen();
    return readAllInPages(this.readPage, options);
  }

  subscribe(options: SubscribeOptions): Subscription {
    this.assertOpen();
    const subscription = new EsdbSubscription(this.wire, this.hooks, options.fromPosition, options.streamPrefix, () => {
      this.subscriptions.delete(subscription);
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async streamRevision(stream: string): Promise<StreamRevision> {
    this.assertOpen();
    validateStreamName(stream);
    const [head] = await withRetry(() => this.wire.readStream(stream, 'end', 'backwards', 1), this.hooks);
    return head?.revision ?? 'no_stream';
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    return withRetry(() => this.readHead(), this.hooks);
  }

  changeVersion(): number | undefined {
    return undefined;
  }

  async health(): Promise<StoreHealth> {
    if (this.closed) return { ok: false, adapter: 'esdb', detail: 'closed' };
    const recent = this.lastTransient ? `; last connection failure at ${this.lastTransient.at}: ${this.lastTransient.message}` : '';
    try {
      const headPosition = await withTimeout(this.readHead(), HEALTH_TIMEOUT_MS, 'no answer from EventStoreDB');
      return { ok: true, adapter: 'esdb', headPosition, ...(recent ? { detail: `reachable${recent}` } : {}) };
    } catch (error) {
      return { ok: false, adapter: 'esdb', detail: `unreachable: ${(error as Error).message}${recent}` };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.wire.dispose();
  }

  /**
   * The last ledger event's position: $all read backwards until an event that is not the server's.
   * Each page drops what is at or after where it started, whether the server counts the start in or not.
   */
  private async readHead(): Promise<number> {
    let from: bigint | 'end' = 'end';
    // Usually the last event is ours; past server or foreign events, read on in bigger pages.
    for (let size = 100; ; size = PAGE_SIZE) {
      const start = from;
      const page = await this.wire.readAll(start, 'backwards', size);
      const found = page.find((raw) => isLedgerEvent(raw) && raw.commit !== undefined && (start === 'end' || raw.commit < start));
      if (found) return toPortPosition(found.commit!);
      const last = page[page.length - 1];
      if (last?.commit === undefined || page.length < size) return 0;
      from = last.commit;
    }
  }

  /** One page of ledger events at or after `fromPosition`: $all read forwards, the server's own events skipped. */
  private readonly readPage = async (fromPosition: number, limit: number, prefix: string | undefined): Promise<StoredEvent[]> => {
    if (this.closed) throw new StoreClosedError();
    const start = readStartFor(fromPosition);
    const page: StoredEvent[] = [];
    let cursor: bigint | 'start' = start.commit;
    let lastSeen = -1n;
    for (;;) {
      const from = cursor;
      let raws: WireEvent[];
      try {
        raws = await withRetry(() => this.wire.readAll(from, 'forwards', PAGE_SIZE), this.hooks);
      } catch (error) {
        // A number no event has (typed by a person, say) is not a record boundary and the server
        // refuses it; reading from the start and skipping up to it is slower but still correct.
        if (from === 'start' || lastSeen >= 0n || error instanceof EventStoreError) throw error;
        cursor = 'start';
        continue;
      }
      for (const raw of raws) {
        if (raw.commit === undefined || raw.commit <= lastSeen) continue;
        lastSeen = raw.commit;
        if (!isLedgerEvent(raw) || (prefix !== undefined && !raw.stream.startsWith(prefix))) continue;
        if (toPortPosition(raw.commit) < start.skipBelow) continue;
        page.push(unwrapEvent(raw).event);
        if (page.length === limit) return page;
      }
      if (raws.length < PAGE_SIZE || lastSeen < 0n) return page;
      cursor = lastSeen;
    }
  };

  /** Runs appends to one stream one after another (their outcomes stay independent). */
  private queued<T>(stream: string, run: () => Promise<T>): Promise<T> {
    const previous = this.streamQueues.get(stream) ?? Promise.resolve();
    const result = previous.then(run, run);
    const settled = result.then(() => undefined, () => undefined);
    this.streamQueues.set(stream, settled);
    void settled.then(() => {
      if (this.streamQueues.get(stream) === settled) this.streamQueues.delete(stream);
    });
    return result;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
