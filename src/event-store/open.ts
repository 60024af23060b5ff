import type { Config } from '../config.js';
import { MemoryEventStore } from './memory/store.js';
import type { EventStore } from './port.js';
import { SqliteEventStore } from './sqlite/store.js';

/**
 * Picks the adapter the configuration names. EventStoreDB is loaded only when chosen, so the
 * embedded modes never load the gRPC client; its connection is proved here (bounded wait) so a bad
 * ESDB_CONNECTION_STRING fails at start-up rather than on the first request.
 */
export async function openEventStore(config: Config): Promise<EventStore> {
  switch (config.EVENT_STORE) {
    case 'sqlite':
      return new SqliteEventStore(config.databaseFile, { synchronous: config.SQLITE_SYNCHRONOUS });
    case 'memory':
      return new MemoryEventStore();
    case 'esdb': {
      const { connectEsdbEventStore } = await import('./esdb/client.js');
      // loadConfig refuses EVENT_STORE=esdb without it.
      return connectEsdbEventStore(config.ESDB_CONNECTION_STRING!);
    }
  }
}
