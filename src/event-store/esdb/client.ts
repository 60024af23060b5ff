/**
 * The one file that imports the EventStoreDB client (@eventstore/db-client 6.2.1). It turns the
 * client into an EsdbWire; the rest of esdb/ is client-neutral, so a move to
 * @kurrent/kurrentdb-client changes this file only.
 */
import {
  BACKWARDS, END, ErrorType, EventStoreDBClient, FORWARDS, isCommandError, jsonEvent, MaxAppendSizeExceededError, NO_STREAM, START, streamNameFilter,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent, type ResolvedEvent, type StreamingRead,
} from '@eventstore/db-client';
import { StoreUnavailableError } from '../errors.js';
import { namespacedWire } from './namespace.js';
import { EsdbEventStore } from './store.js';
import {
  AppendTooLargeWireError, TransientWireError, type EsdbWire, type WireAppendOutcome, type WireEvent, type WireProposedEvent, type WireSubscription,
} from './wire.js';
import { PAGE_SIZE } from '../reading.js';

export { EsdbEventStore } from './store.js';

export interface EsdbStoreOptions {
  /** Stores every stream as `streamNamespace + name`, so ledgers (or test runs) can share one database. */
  streamNamespace?: string;
}

/** A store over the connection string, without contacting the server (the client connects lazily). */
export function createEsdbEventStore(connectionString: string, options: EsdbStoreOptions = {}): EsdbEventStore {
  let client: EventStoreDBClient;
  try {
    client = EventStoreDBClient.connectionString(connectionString);
  } catch (error) {
    throw new StoreUnavailableError(`ESDB_CONNECTION_STRING is not a valid EventStoreDB connection string: ${(error as Error).message}`);
  }
  const wire = new ClientWire(client);
  return new EsdbEventStore(options.streamNamespace ? namespacedWire(wire, options.streamNamespace) : wire);
}

/**
 * Opens a store and proves the server answers, failing within `timeoutMs` with a message that says
 * what went wrong (bad string, nothing listening, no answer) instead of hanging on first use.
 */
export async function connectEsdbEventStore(connectionString: string, options: EsdbStoreOptions & { timeoutMs?: number } = {}): Promise<EsdbEventStore> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const store = createEsdbEventStore(connectionString, options);
  let timer: NodeJS.Timeout | undefined;
  const failure = await Promise.race([
    store.headPosition().then(() => undefined, (error: Error) => error.message),
    new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (failure !== undefined) {
    await store.close().catch(() => undefined);
    throw new StoreUnavailableError(`cannot reach EventStoreDB at ${redact(connectionString)}: ${failure}`);
  }
  return store;
}

/** Credentials in a connection string stay out of messages and logs. */
function redact(connectionString: string): string {
  return connectionString.replace(/\/\/[^@/]*@/, '//***@');
}

class ClientWire implements EsdbWire {
  constructor(private readonly client: EventStoreDBClient) {}

  async readStream(stream: string, from: number | 'end', direction: 'forwards' | 'backwards', count: number): Promise<WireEvent[]> {
    const read = this.client.readStream(stream, {
      fromRevision: from === 'end' ? END : BigInt(from),
      direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
      maxCount: count,
    });
    try {
      return await collect(read);
    } catch (error) {
      if (errorType(error) === ErrorType.STREAM_NOT_FOUND) return [];
      throw translate(error);
    }
  }

  async readAll(from: bigint | 'start' | 'end', direction: 'forwards' | 'backwards', count: number): Promise<WireEvent[]> {
    const read = this.client.readAll({
      fromPosition: from === 'start' ? START : from === 'end' ? END : { commit: from, prepare: from },
      direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
      maxCount: Math.min(count, PAGE_SIZE),
    });
    try {
      return await collect(read);
    } catch (error) {
      throw translate(error);
    }
  }

  async append(stream: string, expected: bigint | 'no_stream', events: WireProposedEvent[]): Promise<WireAppendOutcome> {
    try {
      await this.client.appendToStream(
        stream,
        events.map((event) => jsonEvent({ id: event.id, type: event.type, data: event.data, metadata: event.metadata })),
        { expectedRevision: expected === 'no_stream' ? NO_STREAM : expected },
      );
      return { ok: true };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        const actual = error.actualVersion;
        return { ok: false, actual: typeof actual === 'bigint' ? Number(actual) : 'no_stream' };
      }
      if (error instanceof MaxAppendSizeExceededError) throw new AppendTooLargeWireError(error.maxAppendSize);
      throw translate(error);
    }
  }

  subscribe(from: bigint | 'start', streamPrefix: string | undefined): WireSubscription {
    const subscription = this.client.subscribeToAll({
      fromPosition: from === 'start' ? START : { commit: from, prepare: from },
      // The server filters; with no prefix it still leaves out its own ($-named) streams.
      filter: streamPrefix === undefined ? streamNameFilter({ regex: '^[^$]' }) : streamNameFilter({ prefixes: [streamPrefix] }),
    });
    return {
      async *[Symbol.asyncIterator]() {
        try {
          for await (const resolved of subscription) yield* toWire(resolved);
        } catch (error) {
          throw translate(error);
        }
      },
      async close() {
        await subscription.unsubscribe().catch(() => undefined);
        subscription.destroy();
      },
    };
  }

  async dispose(): Promise<void> {
    await this.client.dispose();
  }
}

/** A bounded read (maxCount) gathered from 'data' events: cheaper than an async iterator per event. */
function collect(read: StreamingRead<ResolvedEvent | AllStreamResolvedEvent>): Promise<WireEvent[]> {
  return new Promise((resolve, reject) => {
    const events: WireEvent[] = [];
    read.on('data', (resolved: ResolvedEvent | AllStreamResolvedEvent) => events.push(...toWire(resolved)));
    read.once('error', reject);
    read.once('end', () => resolve(events));
  });
}

function toWire(resolved: ResolvedEvent | AllStreamResolvedEvent): WireEvent[] {
  const event = resolved.event;
  if (event === undefined) return [];
  return [{
    stream: event.streamId,
    id: event.id,
    revision: Number(event.revision),
    type: event.type,
    data: event.data,
    metadata: event.metadata,
    created: event.created,
    commit: event.position?.commit,
  }];
}

/** Unreachable or dropped connections become retryable; everything else keeps its meaning. */
function translate(error: unknown): unknown {
  const type = errorType(error);
  if (type === ErrorType.UNAVAILABLE || type === ErrorType.CANCELLED) {
    return new TransientWireError(`EventStoreDB is unavailable: ${(error as Error).message}`, { cause: error });
  }
  return error;
}

function errorType(error: unknown): ErrorType | undefined {
  return error instanceof Error && isCommandError(error) ? error.type : undefined;
}
