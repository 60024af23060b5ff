import { MemoryEventStore } from '../../src/event-store/memory.js';
import { eventStoreContract } from './contract.js';

eventStoreContract('memory', async () => {
  const store = new MemoryEventStore();
  return { store, cleanup: () => store.close() };
});
