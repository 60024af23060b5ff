import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// Counts SHA-256 computations: the chain is checked in one place, so each event is hashed once.
const hashes = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:crypto', async (original) => {
  const crypto = await original<typeof import('node:crypto')>();
  return {
    ...crypto,
    hash: (...args: Parameters<typeof crypto.hash>) => {
      if (args[0] === 'sha256') hashes.count++;
      return crypto.hash(...args);
    },
  };
});

const { verifyEvents, verifyStream } = await import('../../src/application/verify.js');
const { eventHash, GENESIS_HASH } = await import('../../src/event-store/hash-chain.js');
type Scanned = import('../../src/event-store/port.js').StoredEvent | import('../../src/event-store/reading.js').DamagedEvent;
const { SqliteEventStore } = await import('../../src/event-store/sqlite/store.js');

describe("an agreement's integrity check", () => {
  let dir: string;
  let file: string;
  let store: InstanceType<typeof SqliteEventStore>;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-verify-'));
    file = join(dir, 'ledger.sqlite');
    store = new SqliteEventStore(file);
    for (let round = 1; round <= 5; round++) {
      await store.append('agreement-a', [{ type: 'NegotiationRoundHeld', data: { occurredOn: '2021', round } }], { expectedRevision: 'any' });
    }
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hashes each event of the agreement once, and says the chain holds', async () => {
    hashes.count = 0;
    expect(await verifyStream(store, 'agreement-a')).toEqual({ ok: true, checked: 5 });
    expect(hashes.count).toBe(5);
  });

  it('names the first edited event, counting the events checked up to it', async () => {
    const db = new Database(file);
    const position = (db.prepare('SELECT position FROM events WHERE stream = ? AND revision = 2').pluck().get('agreement-a')) as number;
    db.prepare('UPDATE events SET data = ? WHERE position = ?').run(JSON.stringify({ occurredOn: '2021', round: 30 }), position);
    db.close();
    expect(await verifyStream(store, 'agreement-a')).toMatchObject({ ok: false, checked: 3, firstBroken: { position, revision: 2, reason: expect.stringContaining('changed after it was appended') } });
  });
});

describe('verifying the whole log past a place that cannot be read', () => {
  /** An event of `stream` chained after `previous`, as a store would hand it over. */
  const chained = (stream: string, revision: number, position: number, previous: string) => {
    const event = { id: `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`, stream, revision, position, type: 'A', data: { revision }, metadata: {}, recordedAt: '2020-01-01T00:00:00.000Z', hash: '' };
    return { ...event, hash: eventHash(event, previous) };
  };
  async function* log(items: Scanned[]) {
    yield* items;
  }

  it('reports the next event of the stream as not checked, not as broken, and counts it apart', async () => {
    const first = chained('agreement-s', 0, 1, GENESIS_HASH);
    const lost = chained('agreement-s', 1, 2, first.hash);
    const next = chained('agreement-s', 2, 3, lost.hash);
    const report = await verifyEvents(log([first, { damaged: true as const, position: 2, reason: 'its database page cannot be read' }, next]), { contiguousPositions: true });
    expect(report).toMatchObject({ ok: false, events: 3, brokenCount: 1, broken: [{ position: 2 }], uncheckedCount: 1 });
    expect(report.unchecked).toEqual([{ position: 3, stream: 'agreement-s', revision: 2, eventId: next.id, reason: 'could not be checked (follows an unreadable event)' }]);
  });

  it('still reports an edit in another stream after the unreadable place as broken', async () => {
    const first = chained('agreement-t', 0, 1, GENESIS_HASH);
    const edited = { ...chained('agreement-t', 1, 3, first.hash), data: { revision: 9 } };
    const report = await verifyEvents(log([first, { damaged: true as const, position: 2, reason: 'its database page cannot be read' }, edited]), { contiguousPositions: true });
    expect(report).toMatchObject({ brokenCount: 2, broken: [{ position: 2 }, { position: 3, reason: expect.stringContaining('changed after it was appended') }] });
    expect(report.uncheckedCount).toBeUndefined();
  });
});
