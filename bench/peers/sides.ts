import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';
import type { BenchEvent } from './events.js';
import type { EmmettSqlite } from './emmett.js';

/**
 * Each store behind the same few calls, so that both sides run the same loops. Each is used at
 * its defaults, as a team would: ours as `new SqliteEventStore(file)`, Emmett's as
 * `getSQLiteEventStore({ fileName })`.
 */
export interface Side {
  /** Appends with the exact expected version: `expectedCount` events are in the stream before. */
  append(stream: string, events: BenchEvent[], expectedCount: number): Promise<void>;
  /** Reads the whole stream; returns how many events came back. */
  readStream(stream: string): Promise<number>;
  /** Reads the whole log in global order, a page of `PAGE` at a time; returns how many events. */
  readAll(): Promise<number>;
  /** Journal mode and synchronous level, as the store's own connection reports them. */
  durability(): Promise<string>;
  close(): Promise<void>;
}

/** Both sides page the log by 1,000 events (ours: PAGE_SIZE; Emmett's consumers default to 100). */
export const PAGE = 1000;

export function ours(file: string): Side {
  const store = new SqliteEventStore(file);
  return {
    append: async (stream, events, expectedCount) => {
      await store.append(stream, events, { expectedRevision: expectedCount === 0 ? 'no_stream' : expectedCount - 1 });
    },
    readStream: async (stream) => {
      let count = 0;
      for await (const event of store.readStream(stream)) if (event.data) count++;
      return count;
    },
    readAll: async () => {
      let count = 0;
      for await (const event of store.readAll()) if (event.data) count++;
      return count;
    },
    durability: async () => `WAL, ${(await store.health()).durability ?? '?'}`,
    close: () => store.close(),
  };
}

const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

export function emmett(lib: EmmettSqlite, file: string): Side {
  const store = lib.getSQLiteEventStore({ fileName: file });
  return {
    append: async (stream, events, expectedCount) => {
      await store.appendToStream(stream, events, { expectedStreamVersion: BigInt(expectedCount) });
    },
    readStream: async (stream) => {
      let count = 0;
      for (const event of (await store.readStream(stream)).events) if (event.data) count++;
      return count;
    },
    readAll: async () => {
      // Emmett's store has no global read: its consumers pull the messages table with
      // readMessagesBatch. Here the same call in a tight loop, without the puller's pauses.
      const connection = lib.sqliteConnection({ fileName: file });
      try {
        let count = 0;
        let after = 0n;
        for (;;) {
          const batch = await lib.readMessagesBatch(connection, { after, batchSize: PAGE });
          for (const message of batch.messages) if (message.data) count++;
          after = batch.currentGlobalPosition;
          if (!batch.areEventsLeft) return count;
        }
      } finally {
        connection.close();
      }
    },
    durability: async () => {
      const connection = lib.sqliteConnection({ fileName: file });
      try {
        const journal = await connection.querySingle<{ journal_mode: string }>('PRAGMA journal_mode');
        const sync = await connection.querySingle<{ synchronous: number }>('PRAGMA synchronous');
        return `${String(journal?.journal_mode).toUpperCase()}, ${SYNCHRONOUS[sync?.synchronous ?? -1] ?? '?'}`;
      } finally {
        connection.close();
      }
    },
    // Emmett opens and closes a connection per call: nothing stays open.
    close: async () => undefined,
  };
}
