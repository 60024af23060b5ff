import { createEsdbEventStore } from '../../../src/event-store/esdb/client.js';
import type { EventStore } from '../../../src/event-store/port.js';
import { start } from '../../support/esdb-stand-in/server.js';
import { eventStoreContract } from '../contract.js';

// The real client (@eventstore/db-client) over gRPC against the in-process protocol stand-in.
eventStoreContract('esdb (client against the protocol stand-in)', async () => {
  const standIn = await start();
  let current: EventStore = createEsdbEventStore(standIn.connectionString);
  return {
    store: current,
    densePositions: false,
    globalEventIds: false,
    reopen: async () => {
      await current.close();
      current = createEsdbEventStore(standIn.connectionString);
      return current;
    },
    // The server's own log: what an operator of the server could edit.
    tamper: async (stream, revision, data) => {
      standIn.log.stream(stream)![revision]!.data = Buffer.from(JSON.stringify(data));
    },
    cleanup: async () => {
      await current.close();
      await standIn.stop();
    },
  };
});
