import type { Config } from '../config.js';
import { MemoryEventStore } from './memory.js';
import type { EventStore } from './port.js';
import { SqliteEventStore } from './sqlite.js';

/** Picks the adapter the configuration names. */
export function openEventStore(config: Config): EventStore {
  switch (config.EVENT_STORE) {
    case 'sqlite':
      return new SqliteEventStore(config.databaseFile, { synchronous: config.SQLITE_SYNCHRONOUS });
    case 'memory':
      return new MemoryEventStore();
  }
}
