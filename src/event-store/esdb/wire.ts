import type { JsonObject } from '../port.js';

/**
 * What the EventStoreDB adapter needs from a client, in the adapter's own terms. client.ts is the
 * only file that implements it with `@eventstore/db-client`, so a move to another client
 * (`@kurrent/kurrentdb-client`) changes that one file.
 */
export interface EsdbWire {
  /** Up to `count` events of one stream from revision `from` (or its end); [] when it does not exist. */
  readStream(stream: string, from: number | 'end', direction: 'forwards' | 'backwards', count: number): Promise<WireEvent[]>;
  /** Up to `count` events of $all, system events included, from a commit position, its start or its end. */
  readAll(from: bigint | 'start' | 'end', direction: 'forwards' | 'backwards', count: number): Promise<WireEvent[]>;
  /** Appends at an exact stream state; a different actual state comes back as `{ ok: false }`. */
  append(stream: string, expected: bigint | 'no_stream', events: WireProposedEvent[]): Promise<WireAppendOutcome>;
  /** $all from its start or after a commit position (exclusive), catch-up then live, filtered by stream prefix. */
  subscribe(from: bigint | 'start', streamPrefix: string | undefined): WireSubscription;
  dispose(): Promise<void>;
}

/** An event as the server returned it, before the ledger's metadata envelope is taken off. */
export interface WireEvent {
  stream: string;
  id: string;
  revision: number;
  type: string;
  data: unknown;
  metadata: unknown;
  created: Date;
  /** The $all commit position; undefined when the server did not report one. */
  commit: bigint | undefined;
  /** Stored by someone else sharing the database (another namespace): never shown to the ledger. */
  foreign?: boolean;
}

export interface WireProposedEvent {
  id: string;
  type: string;
  data: JsonObject;
  metadata: JsonObject;
}

export type WireAppendOutcome = { ok: true } | { ok: false; actual: number | 'no_stream' };

export interface WireSubscription extends AsyncIterable<WireEvent> {
  close(): Promise<void>;
}

/** The server could not be reached or dropped the call: worth retrying after a pause. */
export class TransientWireError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message);
    this.name = 'TransientWireError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** The server refused an append as larger than its configured maximum (MaxAppendSize). */
export class AppendTooLargeWireError extends Error {
  constructor(readonly maxAppendSize: number) {
    super(`the append exceeds the server's maximum append size of ${maxAppendSize} bytes`);
    this.name = 'AppendTooLargeWireError';
  }
}
