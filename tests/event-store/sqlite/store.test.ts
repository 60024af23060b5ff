import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { EventStore } from '../../../src/event-store/port.js';
import { SqliteEventStore } from '../../../src/event-store/sqlite/store.js';
import { eventStoreContract } from '../contract.js';

eventStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-store-'));
  const file = join(dir, 'ledger.sqlite');
  let current: EventStore = new SqliteEventStore(file);
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = new SqliteEventStore(file);
      return current;
    },
    tamper: async (stream, revision, data) => {
      const db = new Database(file);
      db.prepare('UPDATE events SET data = ? WHERE stream = ? AND revision = ?').run(JSON.stringify(data), stream, revision);
      db.close();
    },
    cleanup: async () => {
      await current.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
