import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore } from '../../src/event-store/port.js';
import { SqliteEventStore } from '../../src/event-store/sqlite.js';
import { eventStoreContract } from './contract.js';

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
    cleanup: async () => {
      await current.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
