import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ImportRefusedError } from '../../src/event-store/errors.js';
import { MemoryEventStore } from '../../src/event-store/memory/store.js';
import type { EventStore, StoredEvent } from '../../src/event-store/port.js';
import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';

async function collect(iterable: AsyncIterable<StoredEvent>): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for await (const event of iterable) events.push(event);
  return events;
}

const adapters: [string, () => { store: EventStore; cleanup: () => void }][] = [
  ['memory', () => ({ store: new MemoryEventStore(), cleanup: () => undefined })],
  ['sqlite', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-import-'));
    return { store: new SqliteEventStore(join(dir, 'ledger.sqlite')), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }],
];

for (const [name, open] of adapters) {
  describe(`importEvents: ${name}`, () => {
    const opened: ReturnType<typeof open>[] = [];
    const fresh = () => {
      const subject = open();
      opened.push(subject);
      return subject.store;
    };
    afterEach(async () => {
      for (const subject of opened.splice(0)) {
        await subject.store.close();
        subject.cleanup();
      }
    });

    async function sourceEvents() {
      const source = new MemoryEventStore(() => new Date('2021-03-18T09:30:00.000Z'));
      await source.append('agreement-a', [{ type: 'A', data: { n: 1 } }, { type: 'B', data: { n: 2 }, metadata: { actor: 'alice' } }], { expectedRevision: 'no_stream' });
      await source.append('agreement-b', [{ type: 'A', data: { n: 3 } }], { expectedRevision: 'no_stream' });
      await source.append('agreement-a', [{ type: 'C', data: { n: 4 } }], { expectedRevision: 1 });
      return collect(source.readAll());
    }

    it('keeps ids, revisions, recording times, metadata and hashes, and numbers positions in the order given', async () => {
      const events = await sourceEvents();
      const store = fresh();
      expect(await store.importEvents!(events)).toEqual({ imported: 4, skipped: 0 });
      expect(await collect(store.readAll())).toEqual(events);
      // Appends go on from there, chaining to the imported hashes.
      const next = await store.append('agreement-a', [{ type: 'D', data: {} }], { expectedRevision: 2 });
      expect(next).toMatchObject({ nextRevision: 3, position: 5 });
      expect(await store.importEvents!(events)).toEqual({ imported: 0, skipped: 4 });
    });

    it('refuses a whole batch when one event does not chain, and writes none of it', async () => {
      const events = await sourceEvents();
      const store = fresh();
      const forged = events.map((event, index) => (index === 3 ? { ...event, data: { n: 40 } } : event));
      await expect(store.importEvents!(forged)).rejects.toBeInstanceOf(ImportRefusedError);
      expect(await store.headPosition()).toBe(0);
      const reordered = [events[0]!, events[3]!, events[1]!, events[2]!];
      await expect(store.importEvents!(reordered)).rejects.toThrow(/revision 2 of agreement-a cannot follow: the stream here is at 0/);
      const misdated = events.map((event) => ({ ...event, recordedAt: '18 March 2021' }));
      await expect(store.importEvents!(misdated)).rejects.toThrow(/recordedAt must be an ISO 8601 UTC timestamp/);
      expect(await store.headPosition()).toBe(0);
    });
  });
}
