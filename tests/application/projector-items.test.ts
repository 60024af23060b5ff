import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerModel } from '../../projections/register/projection.js';
import { demoDatasetPath } from '../../src/application/demo-data.js';
import { CommandHandler } from '../../src/application/handle-command.js';
import { importDataset } from '../../src/application/import-agreements.js';
import { Projector } from '../../src/application/projector.js';
import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';
import { MemoryDocumentStore } from '../../src/document-store/port.js';
import { SqliteDocumentStore } from '../../src/document-store/sqlite-store.js';

const logger = pino({ level: 'silent' });
const dataset = JSON.parse(readFileSync(demoDatasetPath(), 'utf8'));
const meta = (commandId: string) => ({ actor: 'desk', commandId });

/** The register keeps each agreement's steps on disk, as items: what a long history costs in memory is its summary. */
describe('the register steps, stored as items', () => {
  let dir: string;
  let store: SqliteEventStore;
  let documents: SqliteDocumentStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-items-'));
    store = new SqliteEventStore(join(dir, 'ledger.sqlite'));
    documents = new SqliteDocumentStore(join(dir, 'read-models.sqlite'));
  });
  afterEach(async () => {
    documents.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rewrites a corrected step where it stands, and takes a withdrawn one out of the calendar, on disk and after a restart', async () => {
    const handler = new CommandHandler(store);
    const live = new Projector(store, documents, registerModel, logger);
    live.start();
    const id = 'eu-cabo-verde-test';
    await handler.handle(id, { type: 'RegisterAgreement', input: { agreementId: id, title: 'EU-Cabo Verde test', kind: 'visa_facilitation_agreement', parties: ['EU', 'Cabo Verde'] } }, meta('c1'));
    const signed = await handler.handle(id, { type: 'RecordStep', step: 'signed', data: { occurredOn: '2021-03-21' } }, meta('c2'));
    const meeting = await handler.handle(id, { type: 'RecordStep', step: 'meeting_held', data: { occurredOn: '2021-03-25', body: 'Joint Committee' } }, meta('c3'));
    expect(await live.waitFor(await store.headPosition(), 5000)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const march = () => live.itemsInSpan('2021-03-01', '2021-03-31', { offset: 0, limit: 10 }).items.map(({ item }) => `${item.value.step}@${item.value.data.occurredOn}`);
    expect(march()).toEqual(['signed@2021-03-21', 'meeting_held@2021-03-25']);

    const signedId = signed.events[0]!.id;
    await handler.handle(id, { type: 'CorrectStep', input: { eventId: signedId, changes: { occurredOn: '2021-03-18' }, reason: 'the narrative gives 18 March' } }, meta('c4'));
    await handler.handle(id, { type: 'WithdrawStep', input: { eventId: meeting.events[0]!.id, reason: 'no such meeting' } }, meta('c5'));
    expect(await live.waitFor(await store.headPosition(), 5000)).toBe(true);
    // Asked at once: what was folded is stored before the calendar is read.
    expect(march()).toEqual(['signed@2021-03-18']);
    expect(live.items(id).map(({ seq, value }) => [seq, value.eventId, value.withdrawn?.reason])).toEqual([
      [signed.events[0]!.position, signedId, undefined],
      [meeting.events[0]!.position, meeting.events[0]!.id, 'no such meeting'],
    ]);
    await live.stop();

    const restarted = new Projector(store, documents, registerModel, logger);
    expect(restarted.items(id)[0]!.value).toMatchObject({ data: { occurredOn: '2021-03-18' }, original: { occurredOn: '2021-03-21' } });
    expect(restarted.itemsInSpan('2021-03-01', '2021-03-31', { offset: 0, limit: 10 }).total).toBe(1);
  });

  it('finds a step whose date spans years in a period inside it, and none in a period after it', async () => {
    const handler = new CommandHandler(store);
    const live = new Projector(store, documents, registerModel, logger);
    live.start();
    const id = 'eu-long-talks';
    await handler.handle(id, { type: 'RegisterAgreement', input: { agreementId: id, title: 'EU-Long talks', kind: 'readmission_agreement', parties: ['EU', 'Long'] } }, meta('l1'));
    await handler.handle(id, { type: 'RecordStep', step: 'exploratory_talks_held', data: { occurredOn: '2001-01/2012-12' } }, meta('l2'));
    await handler.handle(id, { type: 'RecordStep', step: 'mandate_adopted', data: { occurredOn: '2013-02-01' } }, meta('l3'));
    expect(await live.waitFor(await store.headPosition(), 5000)).toBe(true);
    const steps = (from: string, to: string) => live.itemsInSpan(from, to, { offset: 0, limit: 10 }).items.map(({ item }) => item.value.step);
    expect(steps('2010-06-01', '2010-06-30')).toEqual(['exploratory_talks_held']);
    expect(steps('2012-12-31', '2013-12-31')).toEqual(['exploratory_talks_held', 'mandate_adopted']);
    expect(steps('2013-03-01', '2013-12-31')).toEqual([]);
    await live.stop();
  });

  it('pages a period in the same order from SQLite and from memory, each step once', async () => {
    await importDataset(new CommandHandler(store), dataset, 'test');
    const head = await store.headPosition();
    const onDisk = new Projector(store, documents, registerModel, logger);
    const inMemory = new Projector(store, new MemoryDocumentStore(), registerModel, logger);
    for (const projector of [onDisk, inMemory]) {
      projector.start();
      expect(await projector.waitFor(head, 10_000)).toBe(true);
      await projector.stop();
    }
    const pages = (projector: typeof onDisk) => {
      const seen: string[] = [];
      for (let after: string | undefined; ; ) {
        const page = projector.itemsInSpan('2008-01-01', '2021-12-31', { limit: 25, ...(after ? { after } : {}) });
        seen.push(...page.items.map(({ key, item }) => `${key} ${item.seq}`));
        if (page.next === null) return { seen, total: page.total };
        after = page.next;
      }
    };
    const disk = pages(onDisk);
    expect(disk.total).toBeGreaterThan(100);
    expect(new Set(disk.seen).size).toBe(disk.total);
    expect(pages(inMemory)).toEqual(disk);
  });

  it('after a crash with steps stored ahead of the checkpoint and an old step corrected, resumes to what a clean rebuild stores', async () => {
    const handler = new CommandHandler(store);
    const register = (id: string) => handler.handle(id, { type: 'RegisterAgreement', input: { agreementId: id, title: id, kind: 'readmission_agreement', parties: ['EU', id] } }, meta(`${id}-r`));
    const round = (id: string, n: number) => handler.handle(id, { type: 'RecordStep', step: 'round_held', data: { occurredOn: `${2000 + n}`, round: n } }, meta(`${id}-${n}`));
    await register('eu-a');
    const first = await round('eu-a', 1);
    await register('eu-b');
    for (let n = 1; n <= 8; n++) await round('eu-b', n);
    const correction = await handler.handle('eu-a', { type: 'CorrectStep', input: { eventId: first.events[0]!.id, changes: { occurredOn: '2000-11' }, reason: 'the minutes say November 2000' } }, meta('fix'));
    const correctedAt = correction.events[0]!.position;
    for (let n = 9; n <= 16; n++) await round('eu-b', n);
    for (let n = 2; n <= 4; n++) await round('eu-a', n);
    const head = await store.headPosition();

    // The process "dies" right after it stored, ahead of its checkpoint, steps recorded after the
    // correction: nothing it writes from then on reaches the disk.
    let crashed = false;
    const dying = new Proxy(documents, {
      get(target, name: keyof SqliteDocumentStore) {
        const value = target[name];
        if (typeof value !== 'function') return value;
        if (name !== 'commit' && name !== 'commitItems' && name !== 'fail') return value.bind(target);
        return (...args: unknown[]) => {
          if (crashed) return;
          (value as (...a: unknown[]) => void).apply(target, args);
          if (name === 'commitItems' && (args[1] as Array<{ seq: number }>).some((item) => item.seq > correctedAt)) crashed = true;
        };
      },
    });
    const doomed = new Projector(store, dying, registerModel, logger, { items: 4, documents: 10 });
    doomed.start();
    expect(await doomed.waitFor(head, 5000)).toBe(true);
    await doomed.stop();
    expect(crashed).toBe(true);
    const checkpoint = documents.checkpoint('register')!.position;
    expect(checkpoint).toBeLessThan(correctedAt);
    const stored = [...documents.allItems('register')];
    expect(stored.some((item) => item.seq > correctedAt)).toBe(true);
    // The corrected step existed at the checkpoint: its rewrite waited for the checkpoint, so the disk still has it as first recorded.
    expect(JSON.parse(stored.find((item) => item.seq === first.events[0]!.position)!.json)).not.toHaveProperty('corrections');

    const resumed = new Projector(store, documents, registerModel, logger, { items: 4, documents: 10 });
    resumed.start();
    expect(await resumed.waitFor(head, 5000)).toBe(true);
    await resumed.stop();
    const cleanDocuments = new SqliteDocumentStore(join(dir, 'clean.sqlite'));
    const clean = new Projector(store, cleanDocuments, registerModel, logger);
    clean.start();
    expect(await clean.waitFor(head, 5000)).toBe(true);
    await clean.stop();
    expect(JSON.stringify([...documents.loadAll('register')])).toBe(JSON.stringify([...cleanDocuments.loadAll('register')]));
    expect(JSON.stringify([...documents.allItems('register')])).toBe(JSON.stringify([...cleanDocuments.allItems('register')]));
    expect(resumed.items('eu-a')[0]!.value.corrections).toHaveLength(1);
    cleanDocuments.close();
  });
});
