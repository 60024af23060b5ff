import { IntegrityError, type StoreCorruptError } from './errors.js';
import { followChain, type ChainHead } from './hash-chain.js';
import type { ReadAllOptions, ReadStreamOptions, StoredEvent, Subscription } from './port.js';

/** Reads one page of the global log: events at or after `fromPosition`, in position order. */
export type ReadPage<Event extends { position: number } = StoredEvent> = (fromPosition: number, limit: number, streamPrefix: string | undefined) => Event[] | Promise<Event[]>;

export const PAGE_SIZE = 1000;

/** The whole log as an async iterable, one bounded page in memory at a time. */
export async function* readAllInPages(readPage: ReadPage, options: ReadAllOptions = {}): AsyncGenerator<StoredEvent> {
  let from = Math.max(1, options.fromPosition ?? 1);
  let remaining = options.limit ?? Number.POSITIVE_INFINITY;
  while (remaining > 0) {
    const size = Math.min(PAGE_SIZE, remaining);
    const page = await readPage(from, size, options.streamPrefix);
    for (const event of page) yield event;
    if (page.length < size) return;
    remaining -= page.length;
    from = page[page.length - 1]!.position + 1;
  }
}

/** Whether a stream read starts at its first event going forwards: its chain can be checked as it goes. */
export function readsFromStart(options: ReadStreamOptions): boolean {
  return options.direction !== 'backwards' && (options.from ?? 0) === 0;
}

/**
 * A stream read from its first event, refused (IntegrityError) at the first event that does not
 * continue its hash chain, before that event is handed out. For adapters that hold events as
 * values; SQLite checks the text it stores as it reads (sqlite/reader.ts).
 */
export async function* chainChecked(events: AsyncIterable<StoredEvent> | Iterable<StoredEvent>): AsyncGenerator<StoredEvent> {
  let head: ChainHead | undefined;
  for await (const event of events) {
    const link = followChain(event, head);
    if (link.broken) throw new IntegrityError(event.stream, event.position, event.revision, event.id, link.broken);
    head = link.head;
    yield event;
  }
}

/**
 * Counts commits so that readers can wait for the next one. A reader notes `version` before it
 * reads; if the version moved while it read, it reads again instead of waiting, so no commit
 * can slip between "caught up" and "waiting".
 */
export class CommitSignal {
  version = 0;
  private waiters = new Set<() => void>();

  notify(): void {
    this.version++;
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  /** Resolves on the next commit after `seen`, or after `timeoutMs` (a poll for other writers). */
  waitAfter(seen: number, timeoutMs: number): { promise: Promise<void>; cancel: () => void } {
    let wake!: () => void;
    const promise = new Promise<void>((resolve) => {
      if (this.version !== seen) return resolve();
      const timer = setTimeout(() => wake(), timeoutMs);
      wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      this.waiters.add(wake);
    });
    return { promise, cancel: () => wake?.() };
  }
}

/** Catch-up then live: pages through the log from a position, then waits for commits. */
export class CatchUpSubscription<Event extends { position: number } = StoredEvent> implements Subscription<Event> {
  private closed = false;
  private cancelWait: (() => void) | undefined;

  constructor(
    private readonly readPage: ReadPage<Event>,
    private readonly signal: CommitSignal,
    private readonly fromPosition: number,
    private readonly streamPrefix: string | undefined,
    private readonly pollMs = 1000,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Event> {
    for await (const page of this.pages()) {
      for (const event of page) {
        if (this.closed) return;
        yield event;
      }
    }
  }

  async *pages(): AsyncGenerator<readonly Event[]> {
    let next = Math.max(1, this.fromPosition);
    try {
      while (!this.closed) {
        const seen = this.signal.version;
        const page = await this.readPage(next, PAGE_SIZE, this.streamPrefix);
        if (page.length > 0) {
          next = page[page.length - 1]!.position + 1;
          yield page;
        }
        if (this.closed) continue;
        if (page.length === PAGE_SIZE) {
          // Catching up on a long log is all microtasks: let timers and I/O (HTTP requests) in between pages.
          await new Promise((resolve) => setImmediate(resolve));
          continue;
        }
        const wait = this.signal.waitAfter(seen, this.pollMs);
        this.cancelWait = wait.cancel;
        await wait.promise;
        this.cancelWait = undefined;
      }
    } finally {
      this.closed = true;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelWait?.();
  }
}

/** A place in the log the store cannot hand over as an event: its row does not decode, or its page cannot be read. */
export interface DamagedEvent {
  damaged: true;
  position: number;
  /** Known when the row could be read but not decoded. */
  stream?: string;
  revision?: number;
  id?: string;
  hash?: string;
  reason: string;
}

/** Adapters whose files can be damaged offer this scan to `npm run verify`: it names what it cannot read and goes on. */
export interface DamageReportingScan {
  readAllReportingDamage(): AsyncIterable<StoredEvent | DamagedEvent>;
}

export function reportsDamage(store: object): store is DamageReportingScan {
  return typeof (store as Partial<DamageReportingScan>).readAllReportingDamage === 'function';
}

/** What a store saw of damaged data since it opened, for its health: one line per place, the first few. */
export class DamageSeen {
  private readonly seen = new Map<string, string>();
  private more = 0;

  constructor(private readonly limit = 20) {}

  note(error: IntegrityError | StoreCorruptError): void {
    const broken = error instanceof IntegrityError;
    const where = broken ? `${error.stream}@${error.position}` : error.message;
    if (this.seen.has(where)) return;
    if (this.seen.size >= this.limit) {
      this.more++;
      return;
    }
    this.seen.set(where, broken ? `integrity broken in ${error.stream} at position ${error.position} (revision ${error.revision}): ${error.reason}` : `${error.code}: ${error.message}`);
  }

  reasons(): string[] {
    const reasons = [...this.seen.values()];
    if (this.more > 0) reasons.push(`and ${this.more} more places with damaged data`);
    return reasons;
  }
}
