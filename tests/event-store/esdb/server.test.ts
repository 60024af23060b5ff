import { randomUUID } from 'node:crypto';
import { describe } from 'vitest';
import { createEsdbEventStore } from '../../../src/event-store/esdb/client.js';
import type { EventStore } from '../../../src/event-store/port.js';
import { eventStoreContract } from '../contract.js';

/**
 * The contract against a real EventStoreDB (22.6 or later, which reports $all positions on stream
 * reads), e.g. `docker run -p 2113:2113 eventstore/eventstore --insecure --mem-db` and
 * ESDB_CONNECTION_STRING='esdb://localhost:2113?tls=false'. Each case gets its own stream namespace,
 * so runs can share one server. The 100,000-event case appends 1000 events (about 1.1 MB) at once:
 * raise the server's MaxAppendSize (default 1 MiB) for it to pass.
 */
const connectionString = process.env.ESDB_CONNECTION_STRING;
if (!connectionString) {
  console.info('esdb-server.test.ts: skipped; set ESDB_CONNECTION_STRING to run the event store contract against a real EventStoreDB');
}

describe.skipIf(!connectionString)('a real EventStoreDB (set ESDB_CONNECTION_STRING to run)', () => {
  eventStoreContract('esdb (real server)', async () => {
    const streamNamespace = `contract-${randomUUID().slice(0, 8)}-`;
    const open = () => createEsdbEventStore(connectionString!, { streamNamespace });
    let current: EventStore = open();
    return {
      store: current,
      densePositions: false,
      globalEventIds: false,
      reopen: async () => {
        await current.close();
        current = open();
        return current;
      },
      cleanup: () => current.close(),
    };
  });
});
