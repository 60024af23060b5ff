import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importLog } from '../../src/application/log-transfer.js';
import { verifyEvents } from '../../src/application/verify.js';
import { ImportRefusedError } from '../../src/event-store/errors.js';
import { MemoryEventStore } from '../../src/event-store/memory/store.js';
import type { EventStore } from '../../src/event-store/port.js';
import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';
import { writeExport } from '../e2e/fixtures/export-file.js';

const work = mkdtempSync(join(tmpdir(), 'ledger-import-atomic-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Everything the log holds, as a reader sees it, and where it ends. */
async function snapshot(store: EventStore): Promise<{ head: number; log: string }> {
  const events = [];
  for await (const event of store.readAll()) events.push(event);
  return { head: await store.headPosition(), log: JSON.stringify(events) };
}

const adapters: [string, (dir: string) => EventStore][] = [
  ['sqlite', (dir) => new SqliteEventStore(join(dir, 'ledger.sqlite'))],
  ['memory', () => new MemoryEventStore()],
];

for (const [name, open] of adapters) {
  describe(`import-log is all or nothing (${name})`, () => {
    it('a file cut short, and a file with a bad event in the middle, leave the store exactly as it was; the good file then imports and verifies', async () => {
      const dir = mkdtempSync(join(work, `${name}-`));
      const store = open(dir);
      try {
        await store.append('agreement-held', [{ type: 'AgreementRegistered', data: { agreementId: 'held' } }, { type: 'NegotiationsOpened', data: { occurredOn: '2020' } }], { expectedRevision: 'no_stream' });
        const before = await snapshot(store);
        const batchSize = 100;

        // 350 events in 4 batches: three are handed to the store before the missing trailer shows.
        const cut = join(dir, 'cut.ndjson');
        await writeExport(cut, { events: 350, streams: 7, prefix: 'agreement-cut', trailer: false });
        await expect(importLog(store, createReadStream(cut), { merge: true, batchSize })).rejects.toThrow(/cut short/);
        expect(await snapshot(store)).toEqual(before);

        // The 201st event's data changed after export: the batches before it were accepted.
        const forged = join(dir, 'forged.ndjson');
        await writeExport(forged, { events: 350, streams: 7, prefix: 'agreement-forged', edit: (event, index) => index === 200 && ((event.data as { round: number }).round = 99) });
        await expect(importLog(store, createReadStream(forged), { merge: true, batchSize })).rejects.toBeInstanceOf(ImportRefusedError);
        expect(await snapshot(store)).toEqual(before);

        const good = join(dir, 'good.ndjson');
        await writeExport(good, { events: 350, streams: 7, prefix: 'agreement-good' });
        expect(await importLog(store, createReadStream(good), { merge: true, batchSize })).toEqual({ imported: 350, skipped: 0, declared: 350 });
        expect(await store.headPosition()).toBe(before.head + 350);
        expect(await verifyEvents(store.readAll(), { contiguousPositions: true })).toEqual({ ok: true, events: before.head + 350, streams: 8 });
        // Positions go on without a gap where the refused imports had been.
        expect((await store.append('agreement-held', [{ type: 'NegotiationRoundHeld', data: { round: 1 } }], { expectedRevision: 1 })).position).toBe(before.head + 351);
      } finally {
        await store.close();
      }
    });
  });
}

describe('appends while an import runs (sqlite)', () => {
  it('wait for it to commit, and are never part of an import that is undone', async () => {
    const dir = mkdtempSync(join(work, 'interleaved-'));
    const store = new SqliteEventStore(join(dir, 'ledger.sqlite'));
    try {
      const cut = join(dir, 'cut.ndjson');
      await writeExport(cut, { events: 300, streams: 3, prefix: 'agreement-cut', trailer: false });
      const importing = importLog(store, createReadStream(cut), { merge: true, batchSize: 50 });
      const appended = store.append('agreement-live', [{ type: 'AgreementRegistered', data: { agreementId: 'live' } }], { expectedRevision: 'no_stream' });
      await expect(importing).rejects.toThrow(/cut short/);
      expect(await appended).toMatchObject({ position: 1, nextRevision: 0 });
      const events = [];
      for await (const event of store.readAll()) events.push(event.stream);
      expect(events).toEqual(['agreement-live']);
    } finally {
      await store.close();
    }
  });
});
