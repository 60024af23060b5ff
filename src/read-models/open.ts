import type { Config } from '../config.js';
import { MemoryDocumentStore, type DocumentStore } from './document-store.js';
import { SqliteDocumentStore } from './sqlite-document-store.js';

/** Read models live beside the log: in the same SQLite file, or in memory with the memory store. */
export function openDocumentStore(config: Config): DocumentStore {
  return config.EVENT_STORE === 'sqlite' ? new SqliteDocumentStore(config.databaseFile) : new MemoryDocumentStore();
}
