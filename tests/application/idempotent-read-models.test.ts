import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerModel } from '../../projections/register/projection.js';
import { demoDatasetPath } from '../../src/application/demo-data.js';
import { CommandHandler } from '../../src/application/handle-command.js';
import { importDataset } from '../../src/application/import-agreements.js';
import { Projector } from '../../src/application/projector.js';
import type { EventStore, ReadModelEvent, SubscribeOptions, Subscription } from '../../src/event-store/port.js';
import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';
import { SqliteDocumentStore } from '../../src/document-store/sqlite-store.js';

const logger = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'ledger-idempotent-'));
let store: SqliteEventStore;
let head: number;

/** A seeded generator (mulberry32): the same redeliveries on every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The store, delivering at least once: each subscription starts 25 events before where it was
 * asked to, and every page comes twice, then a random part of it a third time, read afresh.
 */
function redelivering(inner: SqliteEventStore, random: () => number): EventStore {
  const again = (page: readonly ReadModelEvent[]) => page.map((event) => structuredClone(event));
  const subscribeForReadModels = (options: SubscribeOptions): Subscription<ReadModelEvent> => {
    const subscription = inner.subscribeForReadModels({ ...options, fromPosition: Math.max(1, options.fromPosition - 25) });
    return {
      [Symbol.asyncIterator]: () => subscription[Symbol.asyncIterator](),
      async *pages() {
        for await (const page of subscription.pages()) {
          yield page;
          yield again(page);
          const third = page.filter(() => random() < 0.3);
          if (third.length > 0) yield again(third);
        }
      },
      close: () => subscription.close(),
    };
  };
  return Object.create(inner, { subscribeForReadModels: { value: subscribeForReadModels } }) as EventStore;
}

/** Every document and step item of the register as SqliteDocumentStore holds them. */
function stored(documents: SqliteDocumentStore) {
  return {
    checkpoint: documents.checkpoint('register')?.position,
    documents: [...documents.loadAll('register')].map(([key, json]) => `${key} ${JSON.stringify(json)}`),
    steps: [...documents.allItems('register')].map(({ key, seq, prev, json }) => `${key} ${seq} ${prev} ${json}`),
  };
}

async function project(source: EventStore, file: string, until: number): Promise<void> {
  const documents = new SqliteDocumentStore(join(dir, file));
  const projector = new Projector(source, documents, registerModel, logger);
  projector.start();
  expect(await projector.waitFor(until, 30_000)).toBe(true);
  await projector.stop();
  documents.close();
}

beforeAll(async () => {
  store = new SqliteEventStore(join(dir, 'ledger.sqlite'));
  const handler = new CommandHandler(store);
  await importDataset(handler, JSON.parse(readFileSync(demoDatasetPath(), 'utf8')), 'demo-data');
  // Corrections and withdrawals too: they rewrite steps already stored, the events a second delivery would most damage.
  const random = seeded(16);
  for (const id of ['eu-nigeria-readmission', 'eu-armenia-cepa', 'eu-ukraine-association', 'eu-georgia-association']) {
    const steps: string[] = [];
    for await (const event of store.readStream(`agreement-${id}`)) if (event.type !== 'AgreementRegistered') steps.push(event.id);
    const pick = () => steps[Math.floor(random() * steps.length)]!;
    await handler.handle(id, { type: 'CorrectStep', input: { eventId: pick(), changes: { note: 'checked against the minutes' }, reason: 'source re-read' } }, { actor: 'desk', commandId: `${id}-correct` });
    await handler.handle(id, { type: 'WithdrawStep', input: { eventId: pick(), reason: 'recorded twice' } }, { actor: 'desk', commandId: `${id}-withdraw` });
  }
  head = await store.headPosition();
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('read models are idempotent', () => {
  it('stores the same documents and steps, byte for byte, when every event of the demo log arrives two or three times', async () => {
    await project(store, 'clean.sqlite', head);
    const clean = new SqliteDocumentStore(join(dir, 'clean.sqlite'));
    const expected = stored(clean);
    clean.close();
    expect(expected.checkpoint).toBe(head);
    expect(expected.documents.length).toBeGreaterThan(100);

    // Half the log, a restart from the checkpoint, then the rest: each start redelivers what came before it.
    const source = redelivering(store, seeded(6));
    await project(source, 'redelivered.sqlite', Math.floor(head / 2));
    await project(source, 'redelivered.sqlite', head);
    const redelivered = new SqliteDocumentStore(join(dir, 'redelivered.sqlite'));
    expect(stored(redelivered)).toEqual(expected);
    redelivered.close();
  }, 60_000);
});
