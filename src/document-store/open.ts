import { join } from 'node:path';
import type { Config } from '../config.js';
import { MemoryDocumentStore, type DocumentStore } from './port.js';
import { SqliteDocumentStore } from './sqlite-store.js';

/**
 * Read models live in a SQLite file of their own under DATA_DIR, whichever store holds the log:
 * beside the embedded log, or as each API instance's local copy when the log is in EventStoreDB.
 * A file of their own because their documents are large and rewritten whole (big pages, their own
 * checkpoints), and because they can always be rebuilt: deleting the file is a rebuild. In memory
 * with the memory store.
 */
export function openDocumentStore(config: Config): DocumentStore {
  return config.EVENT_STORE === 'memory' ? new MemoryDocumentStore() : new SqliteDocumentStore(join(config.dataDir, 'read-models.sqlite'));
}
