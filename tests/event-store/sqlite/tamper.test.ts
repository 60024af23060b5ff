import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyEvents } from '../../../src/application/verify.js';
import type { StoredEvent } from '../../../src/event-store/port.js';
import { SqliteEventStore } from '../../../src/event-store/sqlite/store.js';

/** Someone with the file and a SQLite shell: each kind of tampering is caught at the event it touched. */
describe('verification of the SQLite file after tampering', () => {
  let dir: string;
  let file: string;
  let appended: StoredEvent[];
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-tamper-'));
    file = join(dir, 'ledger.sqlite');
    const store = new SqliteEventStore(file);
    appended = [];
    for (let i = 0; i < 5; i++) {
      appended.push(...(await store.append('agreement-a', [{ type: 'NegotiationRoundHeld', data: { occurredOn: '2021', round: i + 1 }, metadata: { actor: 'alice' } }], { expectedRevision: i === 0 ? 'no_stream' : i - 1 })).events);
      appended.push(...(await store.append('agreement-b', [{ type: 'MeetingHeld', data: { occurredOn: '2021', body: 'JRC' } }], { expectedRevision: 'any' })).events);
    }
    await store.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function verify() {
    const store = new SqliteEventStore(file);
    try {
      return await verifyEvents(store.readAll(), { contiguousPositions: true });
    } finally {
      await store.close();
    }
  }
  function tamper(sql: string, ...params: unknown[]): void {
    const db = new Database(file);
    db.prepare(sql).run(...params);
    db.close();
  }

  it('passes untouched', async () => {
    expect(await verify()).toEqual({ ok: true, events: 10, streams: 2 });
  });

  it('catches edited data at exactly that event', async () => {
    const target = appended[4]!;
    tamper('UPDATE events SET data = ? WHERE position = ?', JSON.stringify({ occurredOn: '2021', round: 30 }), target.position);
    expect((await verify()).brokenAt).toMatchObject({ position: target.position, eventId: target.id, reason: expect.stringContaining('changed after it was appended') });
  });

  it('catches edited metadata (who recorded it) at exactly that event', async () => {
    const target = appended[2]!;
    tamper('UPDATE events SET metadata = ? WHERE position = ?', JSON.stringify({ actor: 'mallory' }), target.position);
    expect((await verify()).brokenAt).toMatchObject({ position: target.position });
  });

  it('catches a rewritten hash at the next event of the stream', async () => {
    const target = appended[0]!;
    tamper('UPDATE events SET data = ?, hash = ? WHERE position = ?', JSON.stringify({ occurredOn: '2020', round: 1 }), 'f'.repeat(64), target.position);
    expect((await verify()).brokenAt?.position).toBe(target.position);
  });

  it('catches two events swapped in order', async () => {
    const [first, second] = [appended[2]!, appended[4]!];
    tamper('UPDATE events SET revision = revision + 100 WHERE position = ?', first.position);
    tamper('UPDATE events SET revision = ? WHERE position = ?', first.revision, second.position);
    tamper('UPDATE events SET revision = ? WHERE position = ?', second.revision, first.position);
    expect((await verify()).brokenAt?.position).toBe(first.position);
  });

  it('names every broken event, not only the first, and goes on after each', async () => {
    const [first, second] = [appended[2]!, appended[7]!];
    tamper('UPDATE events SET data = ? WHERE position = ?', JSON.stringify({ occurredOn: '2021', round: 30 }), first.position);
    tamper('UPDATE events SET metadata = ? WHERE position = ?', JSON.stringify({ actor: 'mallory' }), second.position);
    const report = await verify();
    expect(report).toMatchObject({ ok: false, events: 10, brokenCount: 2 });
    expect(report.broken!.map((link) => [link.position, link.eventId])).toEqual([[first.position, first.id], [second.position, second.id]]);
  });

  it('refuses to hand out a tampered stream read whole, naming the event; other streams read as before', async () => {
    const target = appended[4]!;
    tamper('UPDATE events SET data = ? WHERE position = ?', JSON.stringify({ occurredOn: '2021', round: 30 }), target.position);
    const store = new SqliteEventStore(file);
    try {
      const read = async (stream: string) => {
        const events = [];
        for await (const event of store.readStream(stream)) events.push(event);
        return events;
      };
      await expect(read('agreement-a')).rejects.toMatchObject({ code: 'INTEGRITY_BROKEN', stream: 'agreement-a', position: target.position, revision: target.revision, eventId: target.id });
      expect(await read('agreement-b')).toHaveLength(5);
      expect((await store.health()).degraded).toEqual([`integrity broken in agreement-a at position ${target.position} (revision ${target.revision}): the stored hash does not match the event: it was changed after it was appended`]);
    } finally {
      await store.close();
    }
  });

  it('catches a deleted event at the place it was taken from', async () => {
    const target = appended[6]!;
    tamper('DELETE FROM events WHERE position = ?', target.position);
    expect((await verify()).brokenAt).toMatchObject({ position: target.position + 1, reason: expect.stringContaining('missing') });
  });
});

describe('a file written before the hash chain existed', () => {
  it('gets its chain computed when opened, and verifies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-v1-'));
    const file = join(dir, 'ledger.sqlite');
    const db = new Database(file);
    db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, stream TEXT NOT NULL, revision INTEGER NOT NULL,
      type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, recorded_at TEXT NOT NULL, UNIQUE (stream, revision)) STRICT;`);
    const insert = db.prepare('INSERT INTO events (event_id, stream, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    insert.run('11111111-1111-4111-8111-111111111111', 'agreement-old', 0, 'AgreementRegistered', '{"agreementId":"old"}', '{}', '2020-01-01T00:00:00.000Z');
    insert.run('22222222-2222-4222-8222-222222222222', 'agreement-old', 1, 'AgreementSigned', '{"occurredOn":"2020"}', '{}', '2020-01-02T00:00:00.000Z');
    db.pragma('user_version = 1');
    db.close();
    const store = new SqliteEventStore(file);
    expect(await verifyEvents(store.readAll(), { contiguousPositions: true })).toEqual({ ok: true, events: 2, streams: 1 });
    await store.append('agreement-old', [{ type: 'AgreementEnteredIntoForce', data: { occurredOn: '2021' } }], { expectedRevision: 1 });
    expect((await verifyEvents(store.readAll())).ok).toBe(true);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('a log hashed before version 2 (canonical JSON)', () => {
  it('still verifies, goes on with version 2 hashes, and an edit of an old event is caught at that event', async () => {
    const { legacyEventHash, GENESIS_HASH } = await import('../../../src/event-store/hash-chain.js');
    const dir = mkdtempSync(join(tmpdir(), 'ledger-legacy-'));
    const file = join(dir, 'ledger.sqlite');
    let store = new SqliteEventStore(file);
    // Two events written the way the store wrote them until version 2, with keys out of order.
    const appended = await store.append('agreement-old', [{ type: 'A', data: { round: 1, occurredOn: '2020' } }, { type: 'B', data: { round: 2, occurredOn: '2021' } }], { expectedRevision: 'no_stream' });
    await store.close();
    const db = new Database(file);
    let previous = GENESIS_HASH;
    for (const event of appended.events) {
      previous = legacyEventHash(event, previous);
      db.prepare('UPDATE events SET hash = ? WHERE position = ?').run(previous, event.position);
    }
    db.close();
    store = new SqliteEventStore(file);
    const third = await store.append('agreement-old', [{ type: 'C', data: { round: 3, occurredOn: '2022' } }], { expectedRevision: 1 });
    expect(await verifyEvents(store.readAll(), { contiguousPositions: true })).toEqual({ ok: true, events: 3, streams: 1 });
    expect(third.events[0]!.hash).not.toBe(legacyEventHash(third.events[0]!, previous));
    await store.close();

    const edit = new Database(file);
    edit.prepare('UPDATE events SET data = ? WHERE position = ?').run('{"round":1,"occurredOn":"2019"}', appended.events[0]!.position);
    edit.close();
    store = new SqliteEventStore(file);
    expect(await verifyEvents(store.readAll())).toMatchObject({ ok: false, brokenAt: { position: appended.events[0]!.position } });
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('canonical JSON', () => {
  it('sorts keys at every level and leaves arrays in order', async () => {
    const { canonicalJson } = await import('../../../src/event-store/hash-chain.js');
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(JSON.stringify({ a: 1, b: 2 }));
  });
});
