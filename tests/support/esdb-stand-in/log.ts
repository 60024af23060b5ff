/**
 * The stand-in's storage: an in-memory transaction log shaped like EventStoreDB's, for tests only.
 * Commit positions are byte offsets that grow by each record's size (so they are not dense, like the
 * real ones), commit == prepare (no explicit transactions), and the log opens with one server event
 * in a $-stream, so clients must skip system events as they would on a real server.
 */

export interface LogRecord {
  stream: string;
  revision: number;
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  metadata: Uint8Array;
  /** .NET ticks (100 ns) since the Unix epoch, as the server sends them. */
  created: bigint;
  commit: bigint;
}

export interface Proposed {
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  metadata: Uint8Array;
}

export type Expected = { kind: 'any' } | { kind: 'no_stream' } | { kind: 'stream_exists' } | { kind: 'revision'; revision: number };

export type AppendOutcome =
  | { ok: true; last: LogRecord }
  | { ok: false; current: number | 'no_stream' };

/** Where the first record of an empty log starts: the real log opens with its own records too. */
const FIRST_COMMIT = 512n;
/** Roughly what a real prepare record adds around the payload. */
const RECORD_OVERHEAD = 96n;

export class StandInLog {
  readonly records: LogRecord[] = [];
  /** Fault injection: the next append is written but its reply is lost (UNAVAILABLE), as when a connection drops. */
  loseNextAppendReply = false;
  private readonly streams = new Map<string, LogRecord[]>();
  private readonly byCommit = new Map<bigint, number>();
  private end = FIRST_COMMIT;
  private waiters: Array<() => void> = [];

  constructor() {
    this.write('$stats-127.0.0.1:2113', [{ id: '00000000-0000-4000-8000-000000000001', type: '$statsCollected', contentType: 'application/json', data: Buffer.from('{}'), metadata: new Uint8Array() }]);
  }

  stream(name: string): LogRecord[] | undefined {
    return this.streams.get(name);
  }

  /** Index in `records` of the record at `commit`, or `records.length` for the end of the log. */
  indexAt(commit: bigint): number | undefined {
    if (commit === this.end) return this.records.length;
    return this.byCommit.get(commit);
  }

  /**
   * ESDB's rules: an append at the state it expects is written; one that repeats the ids already
   * following that state (or, for 'any', anywhere in the stream) succeeds without writing again.
   */
  append(stream: string, expected: Expected, events: Proposed[]): AppendOutcome {
    const existing = this.streams.get(stream) ?? [];
    const current = existing.length - 1;
    const currentState = current < 0 ? 'no_stream' : current;
    if (expected.kind === 'stream_exists' && current < 0) return { ok: false, current: currentState };
    const after = expected.kind === 'no_stream' ? -1 : expected.kind === 'revision' ? expected.revision : undefined;
    const repeatFrom = after !== undefined ? after + 1 : existing.findIndex((record) => record.id === events[0]?.id);
    const repeated = repeatFrom >= 0 && events.every((event, index) => existing[repeatFrom + index]?.id === event.id);
    if (repeated && (after === undefined || after < current)) return { ok: true, last: existing[repeatFrom + events.length - 1]! };
    if (after !== undefined && after !== current) return { ok: false, current: currentState };
    return { ok: true, last: this.write(stream, events) };
  }

  /** Resolves after the next append (or at once if `seenLength` is already stale). */
  waitForMore(seenLength: number): Promise<void> {
    if (this.records.length > seenLength) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Wakes subscriptions so they notice they were cancelled. */
  wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private write(stream: string, events: Proposed[]): LogRecord {
    const records = this.streams.get(stream) ?? [];
    this.streams.set(stream, records);
    const created = BigInt(Date.now()) * 10_000n;
    let last: LogRecord | undefined;
    for (const event of events) {
      last = { ...event, stream, revision: records.length, created, commit: this.end };
      this.byCommit.set(this.end, this.records.length);
      this.records.push(last);
      records.push(last);
      this.end += RECORD_OVERHEAD + BigInt(event.data.length + event.metadata.length + event.type.length + stream.length);
    }
    this.wakeAll();
    return last!;
  }
}
