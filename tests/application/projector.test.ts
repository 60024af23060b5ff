import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerModel, type RegisterDocument } from '../../projections/register/projection.js';
import type { ReadModel } from '../../projections/read-model.js';
import type { StoredStep } from '../../domain/agreement/index.js';
import { demoDatasetPath } from '../../src/application/demo-data.js';
import { CommandHandler } from '../../src/application/handle-command.js';
import { importDataset } from '../../src/application/import-agreements.js';
import { Projector } from '../../src/application/projector.js';
import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';
import { SqliteDocumentStore } from '../../src/document-store/sqlite-store.js';

const logger = pino({ level: 'silent' });
const dataset = JSON.parse(readFileSync(demoDatasetPath(), 'utf8'));

/** Every document and item of a model as stored, in key order: what "byte for byte" compares. */
function storedBytes(documents: SqliteDocumentStore, model: string): string {
  return JSON.stringify([[...documents.loadAll(model)], [...documents.allItems(model)]]);
}

describe('the projector', () => {
  let dir: string;
  let store: SqliteEventStore;
  let documents: SqliteDocumentStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-projector-'));
    store = new SqliteEventStore(join(dir, 'ledger.sqlite'));
    documents = new SqliteDocumentStore(join(dir, 'read-models.sqlite'));
  });
  afterEach(async () => {
    documents.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds the register live while the demo data is recorded, and a rebuild from zero gives the same bytes', async () => {
    const live = new Projector(store, documents, registerModel, logger);
    live.start();
    await importDataset(new CommandHandler(store), dataset, 'test');
    expect(await live.waitFor(await store.headPosition(), 5000)).toBe(true);
    await live.stop();
    expect(live.describe()).toMatchObject({ name: 'register', state: 'stopped', position: await store.headPosition(), checkpoint: await store.headPosition() });

    const fresh = new SqliteDocumentStore(join(dir, 'rebuild.sqlite'));
    const rebuilt = new Projector(store, fresh, registerModel, logger);
    rebuilt.start();
    expect(await rebuilt.waitFor(await store.headPosition(), 5000)).toBe(true);
    await rebuilt.stop();
    expect(storedBytes(fresh, 'register')).toBe(storedBytes(documents, 'register'));
    expect([...documents.loadAll('register')]).toHaveLength(dataset.agreements.length);
    fresh.close();
  }, 60_000);

  it('goes on from its stored checkpoint after a restart, and ends where a clean rebuild ends', async () => {
    const handler = new CommandHandler(store);
    const first = new Projector(store, documents, registerModel, logger);
    first.start();
    await importDataset(handler, { agreements: dataset.agreements.slice(0, 40) }, 'test');
    await first.waitFor(await store.headPosition(), 5000);
    await first.stop();
    const checkpoint = documents.checkpoint('register')!.position;
    expect(checkpoint).toBe(await store.headPosition());

    await importDataset(handler, dataset, 'test');
    const resumed = new Projector(store, documents, registerModel, logger);
    expect(resumed.describe().position).toBe(checkpoint);
    resumed.start();
    await resumed.waitFor(await store.headPosition(), 5000);
    await resumed.stop();

    const fresh = new SqliteDocumentStore(join(dir, 'clean.sqlite'));
    const clean = new Projector(store, fresh, registerModel, logger);
    clean.start();
    await clean.waitFor(await store.headPosition(), 5000);
    await clean.stop();
    expect(storedBytes(documents, 'register')).toBe(storedBytes(fresh, 'register'));
    fresh.close();
  }, 60_000);

  it('stops a model whose fold throws at that event, reports it and keeps it stopped after a restart, while others go on', async () => {
    const handler = new CommandHandler(store);
    const fragile: ReadModel<{ count: number }> = {
      name: 'fragile', version: 1, streamPrefix: 'agreement-',
      keyOf: () => 'all',
      fold: (document, { event }) => {
        if (event.type === 'AgreementSigned') throw new Error('cannot count signatures');
        return { count: (document?.count ?? 0) + 1 };
      },
      toJSON: (document) => document,
      fromJSON: (json) => json as { count: number },
    };
    const broken = new Projector(store, documents, fragile, logger);
    const register = new Projector(store, documents, registerModel, logger);
    broken.start();
    register.start();
    await handler.handle('eu-x-readmission', { type: 'RegisterAgreement', input: { agreementId: 'eu-x-readmission', title: 'EU-X', kind: 'readmission_agreement', parties: ['EU', 'X'] } }, { actor: 't', commandId: 'c1' });
    const signed = await handler.handle('eu-x-readmission', { type: 'RecordStep', step: 'signed', data: { occurredOn: '2020' } }, { actor: 't', commandId: 'c2' });
    await handler.handle('eu-x-readmission', { type: 'RecordStep', step: 'entered_into_force', data: { occurredOn: '2021' } }, { actor: 't', commandId: 'c3' });
    expect(await register.waitFor(3, 5000)).toBe(true);
    expect(await broken.waitFor(3, 500)).toBe(false);
    expect(broken.describe()).toMatchObject({ state: 'failed', position: 1, failed: { position: signed.events[0]!.position, error: 'cannot count signatures' } });
    expect(register.get('eu-x-readmission')?.machine.value).toBe('in_force');
    await broken.stop();
    await register.stop();

    const again = new Projector(store, documents, fragile, logger);
    expect(again.describe()).toMatchObject({ state: 'failed', failed: { position: 2 } });
    expect(again.get('all')).toEqual({ count: 1 });
  });

  it('stores documents its fold deletes and creates again, and stops at a document that is not an object', async () => {
    const counts: ReadModel<{ n: number }> = {
      name: 'counts', version: 1, streamPrefix: 'agreement-',
      keyOf: ({ stream }) => stream,
      // A model of its own, not the register's: a terminated agreement's document is deleted.
      fold: (document, { event }) => (event.type === 'AgreementTerminated' ? undefined : { n: (document?.n ?? 0) + 1 }),
      toJSON: (document) => document,
      fromJSON: (json) => json as { n: number },
    };
    const append = (stream: string, ...steps: Array<'Added' | 'Deleted'>) =>
      store.append(stream, steps.map((step) => ({ type: step === 'Added' ? 'NegotiationRoundHeld' : 'AgreementTerminated', data: { occurredOn: '2019' } })), { expectedRevision: 'any' });
    await append('agreement-a', 'Added', 'Added');
    await append('agreement-b', 'Added', 'Deleted');
    await append('agreement-c', 'Added', 'Deleted', 'Added');
    const first = new Projector(store, documents, counts, logger);
    first.start();
    await first.waitFor(await store.headPosition(), 5000);
    await first.stop();
    expect(Object.fromEntries(documents.loadAll('counts'))).toEqual({ 'agreement-a': { n: 2 }, 'agreement-c': { n: 1 } });

    // Deleted after it was stored: the next store removes it.
    await append('agreement-a', 'Deleted');
    const second = new Projector(store, documents, counts, logger);
    second.start();
    await second.waitFor(await store.headPosition(), 5000);
    await second.stop();
    expect(Object.fromEntries(documents.loadAll('counts'))).toEqual({ 'agreement-c': { n: 1 } });

    const primitive: ReadModel<number> = {
      name: 'primitive', version: 1, streamPrefix: 'agreement-', keyOf: ({ stream }) => stream,
      fold: (document) => (document ?? 0) + 1, toJSON: (document) => document, fromJSON: (json) => json as number,
    };
    const refused = new Projector(store, documents, primitive, logger);
    refused.start();
    expect(await refused.waitFor(1, 500)).toBe(false);
    expect(refused.describe()).toMatchObject({ state: 'failed', failed: { position: 1, error: 'read model primitive: a document must be an object' } });
    await refused.stop();
  });

  it('stops, without ending the process, when its documents cannot be stored, and goes on from the checkpoint after a restart', async () => {
    const handler = new CommandHandler(store);
    await importDataset(handler, { agreements: dataset.agreements.slice(0, 3) }, 'test');
    const head = await store.headPosition();
    // The store refuses every commit once the first events were applied (as after a lost item batch).
    const refusing = Object.create(documents, {
      commit: { value: () => { throw new Error('items could not be stored: disk I/O error'); } },
    }) as SqliteDocumentStore;
    const lines: string[] = [];
    const recorded = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) });
    const projector = new Projector(store, refusing, registerModel, recorded);
    projector.start();
    expect(await projector.waitFor(head + 1, 1000)).toBe(false);
    expect(projector.describe()).toMatchObject({ state: 'stopped', checkpoint: 0, stopped: { reason: 'its documents could not be stored: items could not be stored: disk I/O error' } });
    expect(lines.some((line) => line.includes('its documents could not be stored') && line.includes('disk I/O error'))).toBe(true);
    await projector.stop();

    const resumed = new Projector(store, documents, registerModel, logger);
    resumed.start();
    expect(await resumed.waitFor(head, 5000)).toBe(true);
    await resumed.stop();
    expect([...documents.loadAll('register')]).toHaveLength(3);
  });

  it('rebuilds a new version beside the old one, which keeps answering until the new one takes over', async () => {
    const handler = new CommandHandler(store);
    const v1 = new Projector(store, documents, registerModel, logger);
    v1.start();
    await importDataset(handler, { agreements: dataset.agreements.slice(0, 5) }, 'test');
    await v1.waitFor(await store.headPosition(), 5000);
    await v1.stop();
    const oldBytes = storedBytes(documents, 'register');

    const next = registerModel.version + 1;
    const v2model: ReadModel<RegisterDocument, StoredStep> = { ...registerModel, version: next };
    const v2 = new Projector(store, documents, v2model, logger);
    expect(v2.describe()).toMatchObject({ version: next, position: 0, replacing: { version: registerModel.version, position: await store.headPosition() } });
    expect([...v2.values()]).toHaveLength(5);
    v2.start();
    expect(v2.describe().state).toBe('rebuilding');
    expect([...v2.values()]).toHaveLength(5);
    expect(storedBytes(documents, 'register')).toBe(oldBytes);
    await v2.waitFor(await store.headPosition(), 5000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(v2.describe()).toMatchObject({ state: 'live', version: next });
    expect(v2.describe().replacing).toBeUndefined();
    await v2.stop();
    expect(documents.checkpoint('register')).toMatchObject({ version: next, position: await store.headPosition() });
    expect(documents.checkpoint(`register@v${next}`)).toBeUndefined();
    expect(storedBytes(documents, 'register')).toBe(oldBytes);
  });
});
