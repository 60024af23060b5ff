import { MemoryEventStore } from '../../../src/event-store/memory/store.js';
import type { StoredEvent } from '../../../src/event-store/port.js';
import { eventStoreContract } from '../contract.js';

/** The store's private arrays, for the tamper case only: the process's memory is this store's storage. */
type Storage = { log: StoredEvent[]; streams: Map<string, StoredEvent[]> };

eventStoreContract('memory', async () => {
  const store = new MemoryEventStore();
  return {
    store,
    tamper: async (stream, revision, data) => {
      const storage = store as unknown as Storage;
      const events = storage.streams.get(stream)!;
      const edited = Object.freeze({ ...events[revision]!, data: data as StoredEvent['data'] });
      events[revision] = edited;
      storage.log[edited.position - 1] = edited;
    },
    cleanup: () => store.close(),
  };
});
