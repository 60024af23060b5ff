import { mkdtempSync, rmSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { fillLog } from '../../bench/rebuild.js';
import { registerEntry, registerModel } from '../../projections/register/projection.js';
import { AsOfRegister, registerRecordedAsOf } from '../../src/application/as-of-register.js';
import { demoDatasetPath } from '../../src/application/demo-data.js';
import { CommandHandler } from '../../src/application/handle-command.js';
import { importDataset } from '../../src/application/import-agreements.js';
import { Projector } from '../../src/application/projector.js';
import { QueryBudget, ServerBusyError, Slices } from '../../src/application/query-budget.js';
import { MemoryEventStore } from '../../src/event-store/memory/store.js';
import type { EventStore, ReadAllOptions, StoredEvent } from '../../src/event-store/port.js';
import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';
import { MemoryDocumentStore } from '../../src/document-store/port.js';

const dir = mkdtempSync(join(tmpdir(), 'ledger-as-of-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const unlimited = () => new Slices(Infinity, Infinity);

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe('the register as recorded at a moment', () => {
  it('equals the live register at the end of a log with corrections and withdrawals, though it keeps no steps', async () => {
    const store = new MemoryEventStore();
    const handler = new CommandHandler(store);
    await importDataset(handler, JSON.parse(readFileSync(demoDatasetPath(), 'utf8')), 'test');
    // Corrections and withdrawals reach back into steps recorded long before.
    let n = 0;
    for await (const event of store.readAll()) {
      if (event.type !== 'NegotiationRoundHeld' || n++ % 3 !== 0) continue;
      const id = event.stream.slice('agreement-'.length);
      const command = n % 2
        ? { type: 'CorrectStep' as const, input: { eventId: event.id, changes: { location: 'Brussels' }, reason: 'the minutes say Brussels' } }
        : { type: 'WithdrawStep' as const, input: { eventId: event.id, reason: 'recorded against the wrong agreement' } };
      await handler.handle(id, command, { actor: 'test', commandId: `fix-${event.id}` });
    }
    const live = new Projector(store, new MemoryDocumentStore(), registerModel, pino({ level: 'silent' }));
    live.start();
    expect(await live.waitFor(await store.headPosition(), 10_000)).toBe(true);
    await live.stop();
    const { entries: replayed } = await registerRecordedAsOf(store, new Date(Date.now() + 60_000).toISOString(), unlimited());
    const byId = (rows: Array<{ id: string }>) => [...rows].sort((a, b) => a.id.localeCompare(b.id));
    expect(n).toBeGreaterThan(10);
    expect(byId(replayed)).toEqual(byId([...live.values()].map(registerEntry)));
  });

  it('leaves out an agreement whose events were edited, naming it and where, and answers the others', async () => {
    const store = new MemoryEventStore();
    const handler = new CommandHandler(store);
    const meta = (commandId: string) => ({ actor: 'test', commandId });
    for (const id of ['eu-x', 'eu-y']) {
      await handler.handle(id, { type: 'RegisterAgreement', input: { agreementId: id, title: `EU-${id}`, kind: 'readmission_agreement', parties: ['EU', id] } }, meta(`register-${id}`));
      await handler.handle(id, { type: 'RecordStep', step: 'negotiations_opened', data: { occurredOn: '2019' } }, meta(`open-${id}`));
      await handler.handle(id, { type: 'RecordStep', step: 'round_held', data: { occurredOn: '2020', round: 1 } }, meta(`round-${id}`));
    }
    const [, , round] = await collect(store.readStream('agreement-eu-x'));
    await handler.handle('eu-x', { type: 'CorrectStep', input: { eventId: round!.id, changes: { location: 'Brussels' }, reason: 'the minutes say Brussels' } }, meta('fix-x'));
    // The memory store's own arrays, edited as someone with the process's memory could.
    const storage = store as unknown as { log: StoredEvent[]; streams: Map<string, StoredEvent[]> };
    const edited = Object.freeze({ ...round!, data: { ...round!.data, round: 7 } });
    storage.streams.get('agreement-eu-x')![2] = edited;
    storage.log[edited.position - 1] = edited;

    const { entries, damaged } = await registerRecordedAsOf(store, new Date(Date.now() + 60_000).toISOString(), unlimited());
    expect(entries.map((entry) => entry.id)).toEqual(['eu-y']);
    expect(damaged).toEqual([{ agreementId: 'eu-x', position: round!.position }]);
  });

  it('holds one document per agreement in memory, not the steps of the log', async () => {
    const file = join(dir, 'memory.sqlite');
    fillLog(file, 2000, 100);
    const store = new SqliteEventStore(file);
    // The heap is sampled as the replay reads.
    let peak = 0;
    const sampling: EventStore = Object.create(store, {
      readAll: {
        value: async function* (options?: ReadAllOptions): AsyncGenerator<StoredEvent> {
          for await (const event of store.readAll(options)) {
            if (event.position % 5000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
            yield event;
          }
        },
      },
    });
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    const { entries: rows } = await registerRecordedAsOf(sampling, new Date(Date.now() + 60_000).toISOString(), unlimited());
    expect(rows).toHaveLength(2000);
    expect((peak - before) / 2 ** 20).toBeLessThan(40);
    await store.close();
  }, 60_000);
});

describe('the budget of audit questions', () => {
  it('refuses a question beyond the ones it takes at once, and answers again once they are done', async () => {
    const budget = new QueryBudget({ concurrent: 1, maxMs: 10_000 });
    let release!: () => void;
    const first = budget.run(() => new Promise<void>((resolve) => (release = resolve)));
    await expect(budget.run(async () => 'second')).rejects.toBeInstanceOf(ServerBusyError);
    release();
    await first;
    await expect(budget.run(async () => 'third')).resolves.toBe('third');
  });

  it('gives up a question that runs past its time, at the next slice', async () => {
    const budget = new QueryBudget({ concurrent: 1, maxMs: 20 });
    const endless = budget.run(async (slices) => {
      for (;;) {
        const until = performance.now() + 5;
        while (performance.now() < until);
        await slices.next();
      }
    });
    await expect(endless).rejects.toThrow(/longer than its budget of 0.02 s/);
  });

  it('answers paging through a settled moment from the replay it kept', async () => {
    const store = new MemoryEventStore();
    await importDataset(new CommandHandler(store), JSON.parse(readFileSync(demoDatasetPath(), 'utf8')), 'test');
    let reads = 0;
    const counting: EventStore = Object.create(store, { readAll: { value: (options?: ReadAllOptions) => (reads++, store.readAll(options)) } });
    const asOf = new AsOfRegister(counting, { entries: () => [][Symbol.iterator](), items: () => [], position: 0 });
    const settled = new Date(Date.now() - 3_600_000).toISOString();
    const first = await asOf.recordedAsOf(settled);
    const afterFirst = reads;
    expect(await asOf.recordedAsOf(settled)).toBe(first);
    expect(reads).toBe(afterFirst);
    // A moment not yet settled is replayed each time: events may still be recorded before it.
    const open = new Date(Date.now() + 60_000).toISOString();
    await asOf.recordedAsOf(open);
    const afterOpen = reads;
    await asOf.recordedAsOf(open);
    expect(reads).toBeGreaterThan(afterOpen);
  });
});
