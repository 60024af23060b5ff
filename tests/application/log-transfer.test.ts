import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerModel } from '../../projections/register/projection.js';
import { demoDatasetPath } from '../../src/application/demo-data.js';
import { CommandHandler } from '../../src/application/handle-command.js';
import { importDataset } from '../../src/application/import-agreements.js';
import { exportLog, importLog, ImportFileError } from '../../src/application/log-transfer.js';
import { Projector } from '../../src/application/projector.js';
import { verifyEvents } from '../../src/application/verify.js';
import { ImportRefusedError } from '../../src/event-store/errors.js';
import type { EventStore, StoredEvent } from '../../src/event-store/port.js';
import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';
import { SqliteDocumentStore } from '../../src/document-store/sqlite-store.js';

const logger = pino({ level: 'silent' });
const dataset = JSON.parse(readFileSync(demoDatasetPath(), 'utf8'));
const caboVerde = 'eu-cabo-verde-visa-facilitation-amendment';

async function collect(store: EventStore): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for await (const event of store.readAll()) events.push(event);
  return events;
}

async function exportTo(store: EventStore, file: string): Promise<void> {
  const out = createWriteStream(file);
  await exportLog(store, out, { now: new Date('2026-11-22T12:00:00Z') });
  out.end();
  await finished(out);
}

/** The register as a server's projector would store it, byte for byte. */
async function projectedRegister(store: EventStore, dir: string): Promise<string> {
  const documents = new SqliteDocumentStore(join(dir, 'read-models.sqlite'));
  const projector = new Projector(store, documents, registerModel, logger);
  projector.start();
  expect(await projector.waitFor(await store.headPosition(), 10_000)).toBe(true);
  await projector.stop();
  const bytes = JSON.stringify([...documents.loadAll('register')]);
  documents.close();
  return bytes;
}

describe('export-log and import-log', () => {
  let dirs: string[];
  let stores: EventStore[];
  const freshStore = () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-transfer-'));
    dirs.push(dir);
    const store = new SqliteEventStore(join(dir, 'ledger.sqlite'));
    stores.push(store);
    return { dir, store };
  };
  beforeEach(() => {
    dirs = [];
    stores = [];
  });
  afterEach(async () => {
    for (const store of stores) await store.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** The demo data plus a correction with its reason, as an auditor's history has them. */
  async function sourceWithCorrections() {
    const source = freshStore();
    const handler = new CommandHandler(source.store);
    await importDataset(handler, dataset, 'demo-data');
    const first = (await collect(source.store)).find((event) => event.stream === `agreement-${caboVerde}` && event.revision === 1)!;
    await handler.handle(
      caboVerde,
      { type: 'CorrectStep', input: { eventId: first.id, changes: { occurredOn: '2019-10' }, reason: 'test: the narrative says October 2019' } },
      { actor: 'auditor-test', commandId: 'correction-1' },
    );
    return source;
  }

  it('moves the complete log into an empty store: identical events, identical projections, a passing verification', async () => {
    const source = await sourceWithCorrections();
    const file = join(source.dir, 'log.ndjson');
    await exportTo(source.store, file);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const original = await collect(source.store);
    expect(lines).toHaveLength(original.length + 2);
    expect(JSON.parse(lines[0]!)).toMatchObject({ format: 'agreement-ledger/log', version: 1, adapter: 'sqlite', headPosition: original.length });
    expect(JSON.parse(lines.at(-1)!)).toEqual({ end: true, events: original.length });

    const target = freshStore();
    const report = await importLog(target.store, createReadStream(file), { merge: false, batchSize: 97 });
    expect(report).toEqual({ imported: original.length, skipped: 0, declared: original.length });
    // Everything the store holds, positions, recording times, metadata (who, why) and hashes included.
    expect(await collect(target.store)).toEqual(original);
    expect(original.some((event) => event.type === 'StepCorrected' && event.data.reason !== undefined)).toBe(true);
    expect(await verifyEvents(target.store.readAll(), { contiguousPositions: true })).toMatchObject({ ok: true, events: original.length });
    expect(await projectedRegister(target.store, target.dir)).toBe(await projectedRegister(source.store, source.dir));
  }, 60_000);

  it('refuses a store that has events unless asked to merge; a merge adds only what is missing and never duplicates', async () => {
    const source = await sourceWithCorrections();
    const early = join(source.dir, 'early.ndjson');
    await exportTo(source.store, early);
    const handler = new CommandHandler(source.store);
    await handler.handle('eu-test-later', { type: 'RegisterAgreement', input: { agreementId: 'eu-test-later', title: 'Later', kind: 'readmission_agreement', parties: ['EU', 'Testland'] } } as never, { actor: 'officer', commandId: 'later-registration' });
    await handler.handle('eu-test-later', { type: 'RecordStep', step: 'mandate_adopted', data: { occurredOn: '2021' } } as never, { actor: 'officer', commandId: 'later-step' });
    const later = join(source.dir, 'later.ndjson');
    await exportTo(source.store, later);

    const target = freshStore();
    await importLog(target.store, createReadStream(early), { merge: false });
    const before = await target.store.headPosition();
    await expect(importLog(target.store, createReadStream(later), { merge: false })).rejects.toThrow(/the store is not empty/);
    expect(await target.store.headPosition()).toBe(before);

    const merged = await importLog(target.store, createReadStream(later), { merge: true });
    const all = await collect(source.store);
    expect(merged).toEqual({ imported: all.length - before, skipped: before, declared: all.length });
    expect(await collect(target.store)).toEqual(all);
    // Merging the same file again finds everything held.
    expect(await importLog(target.store, createReadStream(later), { merge: true })).toMatchObject({ imported: 0, skipped: all.length });
    expect(await target.store.headPosition()).toBe(all.length);
    expect((await verifyEvents(target.store.readAll(), { contiguousPositions: true })).ok).toBe(true);
  }, 60_000);

  describe('refuses what would corrupt the store, writing nothing of the refused batch', () => {
    async function exportedLines() {
      const source = freshStore();
      const handler = new CommandHandler(source.store);
      await importDataset(handler, { agreements: dataset.agreements.slice(0, 3) }, 'demo-data');
      const file = join(source.dir, 'log.ndjson');
      await exportTo(source.store, file);
      return { lines: readFileSync(file, 'utf8').trimEnd().split('\n'), dir: source.dir };
    }
    const importLines = async (lines: string[], dir: string, merge = false, store = freshStore().store) => {
      const file = join(dir, `edited-${Math.random()}.ndjson`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      return { store, result: importLog(store, createReadStream(file), { merge }) };
    };

    it('an event edited in the file', async () => {
      const { lines, dir } = await exportedLines();
      const edited = JSON.parse(lines[3]!);
      edited.data.occurredOn = '1999';
      lines[3] = JSON.stringify(edited);
      const { store, result } = await importLines(lines, dir);
      await expect(result).rejects.toThrow(new ImportRefusedError(edited.id, 'its hash does not match its content and the hash before it: it was changed after it was exported, or comes from a different history'));
      expect(await store.headPosition()).toBe(0);
    });

    it('an event missing from the file, and a file cut short', async () => {
      const { lines, dir } = await exportedLines();
      // The first agreement's registration gone: its steps no longer have a stream to follow.
      const withoutOne = lines.filter((_, index) => index !== 1);
      await expect((await importLines(withoutOne, dir)).result).rejects.toThrow(/revision 1 of agreement-.* cannot follow: the stream here is at no_stream/);
      // The last event gone: no chain shows it, the trailer's count does.
      const withoutLast = [...lines.slice(0, -2), lines.at(-1)!];
      await expect((await importLines(withoutLast, dir)).result).rejects.toThrow(`the trailer declares ${lines.length - 2} events but the file holds ${lines.length - 3}`);
      await expect((await importLines(lines.slice(0, -1), dir)).result).rejects.toThrow(new ImportFileError(lines.length - 1, 'the file ends without its trailer line: it was cut short'));
      await expect((await importLines(['{"format":"something-else"}'], dir)).result).rejects.toThrow(/not an export of this product/);
      await expect((await importLines([lines[0]!, 'not json'], dir)).result).rejects.toThrow('line 2: not a JSON line');
    });

    it('a merge into a store whose history diverged', async () => {
      const { lines, dir } = await exportedLines();
      const diverged = freshStore();
      const stream = JSON.parse(lines[1]!).stream as string;
      await diverged.store.append(stream, [{ type: 'AgreementRegistered', data: { other: true } }], { expectedRevision: 'no_stream' });
      const { result } = await importLines(lines, dir, true, diverged.store);
      await expect(result).rejects.toThrow(/revision 0 of .* cannot follow: the stream here is at 0/);
      expect(await diverged.store.headPosition()).toBe(1);
    });
  });

  it('streams: a 60,000-event log moves with the heap staying far below the log size', async () => {
    const source = freshStore();
    const payload = { text: 'x'.repeat(400) };
    for (let batch = 0; batch < 60; batch++) {
      await source.store.append(`agreement-bulk-${batch}`, Array.from({ length: 1000 }, () => ({ type: 'RoundHeld', data: payload })), { expectedRevision: 'no_stream' });
    }
    const file = join(source.dir, 'big.ndjson');
    const gc = (globalThis as { gc?: () => void }).gc!;
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = 0;
    const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed - baseline)), 5);
    await exportTo(source.store, file);
    const target = freshStore();
    const report = await importLog(target.store, createReadStream(file), { merge: false });
    clearInterval(sample);
    expect(report.imported).toBe(60_000);
    // Held at once, 60,000 events of ~500 bytes would take well over 60 MB of heap.
    expect(peak).toBeLessThan(40 * 1024 * 1024);
  }, 120_000);
});
