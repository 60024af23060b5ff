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

const { verifyStream } = await import('../../src/application/verify.js');
const { SqliteEventStore } = await import('../../src/event-store/sqlite.js');

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
