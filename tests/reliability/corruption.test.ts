import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp } from '../http/fixture.js';

type App = Awaited<ReturnType<typeof startApp>>;

const agreement = (id: string, partner: string) => ({ id, title: `EU-${partner} Readmission Agreement`, kind: 'readmission_agreement', parties: ['EU', partner] });
const damaged = agreement('eu-damaged-readmission', 'Damaged');
const before = agreement('eu-before-readmission', 'Before');
const after = agreement('eu-after-readmission', 'After');
const stream = (id: string) => `agreement-${id}`;
const MARKER = 'only-in-the-damaged-agreement';

/**
 * Three agreements written one after the other, the middle one with long notes, so that some pages
 * of the file hold its events and nothing else. Returns the data directory, the app stopped (its
 * WAL folded into the file).
 */
async function ledger(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-corruption-'));
  const t = await startApp({ dir });
  try {
    const write = async (id: string, url: string, payload: object) => {
      const answer = await t.as('officer', { method: 'POST', url, payload });
      expect(answer.statusCode, answer.body).toBe(201);
    };
    for (const { id, ...rest } of [before, damaged, after]) {
      await write(id, '/agreements', { id, ...rest });
      await write(id, `/agreements/${id}/steps`, { step: 'negotiations_opened', occurredOn: '2019' });
      const rounds = id === damaged.id ? 12 : 2;
      for (let round = 1; round <= rounds; round++) {
        const note = id === damaged.id ? `${MARKER} ${'x'.repeat(1500)}` : 'short';
        await write(id, `/agreements/${id}/steps`, { step: 'round_held', occurredOn: `2020-${String(round).padStart(2, '0')}`, round, note });
      }
    }
  } finally {
    await t.close();
  }
  return dir;
}

function edit(dir: string, sql: string, ...params: unknown[]): void {
  const db = new Database(join(dir, 'ledger.sqlite'));
  db.prepare(sql).run(...params);
  db.close();
}

function positionOf(dir: string, id: string, revision: number): { position: number; eventId: string } {
  const db = new Database(join(dir, 'ledger.sqlite'), { readonly: true });
  const row = db.prepare('SELECT position, event_id AS eventId FROM events WHERE stream = ? AND revision = ?').get(stream(id), revision) as { position: number; eventId: string };
  db.close();
  return row;
}

describe('damaged data is named, for the damaged agreement only', () => {
  let t: App | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    t = dir = undefined;
  });

  /** The other agreements answer as always; the register still lists them. */
  async function othersStillServe(app: App) {
    for (const { id } of [before, after]) {
      expect((await app.as('viewer', { method: 'GET', url: `/agreements/${id}` })).statusCode).toBe(200);
      expect((await app.as('auditor', { method: 'GET', url: `/agreements/${id}/integrity` })).json()).toEqual({ agreementId: id, ok: true, checked: 4 });
    }
    expect((await app.as('viewer', { method: 'GET', url: '/agreements' })).statusCode).toBe(200);
    const step = await app.as('officer', { method: 'POST', url: `/agreements/${after.id}/steps`, payload: { step: 'round_held', occurredOn: '2021-01', round: 3 } });
    expect(step.statusCode).toBe(201);
  }

  /** Every route that reads the damaged agreement refuses; a write to it is refused and writes nothing. */
  async function everyRouteRefuses(app: App, status: number, code: string, detail: RegExp) {
    const head = await app.store.headPosition();
    const answers = await Promise.all([
      app.as('viewer', { method: 'GET', url: `/agreements/${damaged.id}` }),
      app.as('auditor', { method: 'GET', url: `/agreements/${damaged.id}/history` }),
      app.as('auditor', { method: 'GET', url: `/agreements/${damaged.id}/state?occurredBy=2020` }),
      app.as('auditor', { method: 'GET', url: `/agreements/${damaged.id}/state?recordedAsOf=2099-01-01T00:00:00Z` }),
      app.as('officer', { method: 'POST', url: `/agreements/${damaged.id}/steps`, payload: { step: 'round_held', occurredOn: '2021-02', round: 13 } }),
      app.as('officer', { method: 'POST', url: `/agreements/${damaged.id}/corrections`, payload: { eventId: '00000000-0000-4000-8000-000000000000', withdraw: true, reason: 'test' } }),
    ]);
    for (const answer of answers) {
      expect(answer.statusCode, answer.body).toBe(status);
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(answer.json()).toMatchObject({ code, detail: expect.stringMatching(detail) });
    }
    expect(await app.store.headPosition()).toBe(head);
  }

  it('an edit that keeps the JSON valid and the length the same: INTEGRITY_BROKEN at that position, on every route; /integrity names it', async () => {
    dir = await ledger();
    const target = positionOf(dir, damaged.id, 4);
    edit(dir, `UPDATE events SET data = replace(data, '"round":3', '"round":9') WHERE position = ?`, target.position);
    t = await startApp({ dir });

    await everyRouteRefuses(t, 500, 'INTEGRITY_BROKEN', new RegExp(`position ${target.position} \\(revision 4, event ${target.eventId}\\).*changed after it was appended`));
    const refused = await t.as('viewer', { method: 'GET', url: `/agreements/${damaged.id}` });
    expect(refused.json()).toMatchObject({ position: target.position, revision: 4, eventId: target.eventId, stream: stream(damaged.id) });
    const integrity = await t.as('auditor', { method: 'GET', url: `/agreements/${damaged.id}/integrity` });
    expect(integrity.statusCode).toBe(200);
    expect(integrity.json()).toEqual({
      agreementId: damaged.id, ok: false, checked: 5,
      firstBroken: { position: target.position, eventId: target.eventId, revision: 4, reason: expect.stringContaining('changed after it was appended') },
    });
    await othersStillServe(t);
    expect((await t.store.health()).degraded).toEqual([expect.stringContaining(`integrity broken in ${stream(damaged.id)} at position ${target.position} (revision 4)`)]);
  });

  it('an edit that breaks one event\'s JSON: INTEGRITY_BROKEN naming the position, no SyntaxError anywhere; /integrity answers 200', async () => {
    dir = await ledger();
    const target = positionOf(dir, damaged.id, 6);
    edit(dir, 'UPDATE events SET data = substr(data, 1, length(data) - 1) WHERE position = ?', target.position);
    t = await startApp({ dir });

    await everyRouteRefuses(t, 500, 'INTEGRITY_BROKEN', new RegExp(`position ${target.position} \\(revision 6, event ${target.eventId}\\).*its data is not valid JSON`));
    const integrity = await t.as('auditor', { method: 'GET', url: `/agreements/${damaged.id}/integrity` });
    expect(integrity.statusCode).toBe(200);
    expect(integrity.json()).toMatchObject({ ok: false, checked: 7, firstBroken: { position: target.position, revision: 6, reason: 'its data is not valid JSON' } });
    await othersStillServe(t);
    expect(t.logs.some((line) => line.includes('SyntaxError'))).toBe(false);
  });

  it('4 KiB of garbage over a page of the file holding the agreement\'s events: STORE_CORRUPT (503) naming what it held; the others keep working', async () => {
    dir = await ledger();
    const file = join(dir, 'ledger.sqlite');
    const bytes = readFileSync(file);
    const pageSize = 4096;
    // A page of the table that holds events of the damaged agreement and of no other.
    const pages = Array.from({ length: bytes.length / pageSize }, (_, index) => bytes.subarray(index * pageSize, (index + 1) * pageSize).toString('latin1'));
    const only = pages.findIndex((page) => page.includes(MARKER) && !page.includes(stream(before.id)) && !page.includes(stream(after.id)) && page.split(MARKER).length >= 3);
    expect(only).toBeGreaterThan(0);
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 'garbage!'), 0, pageSize, only * pageSize);
    closeSync(fd);
    t = await startApp({ dir });

    await everyRouteRefuses(t, 503, 'STORE_CORRUPT', new RegExp(`page holding ${stream(damaged.id)} revision \\d+ \\(position \\d+\\) cannot be read`));
    const integrity = await t.as('auditor', { method: 'GET', url: `/agreements/${damaged.id}/integrity` });
    expect(integrity.statusCode).toBe(200);
    expect(integrity.json()).toMatchObject({ ok: false, firstBroken: { position: expect.any(Number), revision: expect.any(Number), reason: expect.stringContaining('cannot be read') } });
    await othersStillServe(t);
    expect((await t.store.health()).degraded).toEqual([expect.stringMatching(/^STORE_CORRUPT: the database page holding agreement-eu-damaged-readmission revision \d+/)]);
  });
  it('the agreement as recorded by a moment: the events it replays are checked, an edit after that moment does not refuse it, the handler\'s cache hides no edit', async () => {
    dir = await ledger();
    // Recording times are not hashed: the events from revision 5 on are moved into the future to leave a moment between.
    edit(dir, 'UPDATE events SET recorded_at = ? WHERE stream = ? AND revision >= 5', '2030-01-01T00:00:00.000Z', stream(damaged.id));
    const later = positionOf(dir, damaged.id, 8);
    edit(dir, `UPDATE events SET data = replace(data, '"round":7', '"round":9') WHERE position = ?`, later.position);
    t = await startApp({ dir });

    const then = await t.as('auditor', { method: 'GET', url: `/agreements/${damaged.id}/state?recordedAsOf=2029-01-01T00:00:00Z` });
    expect(then.statusCode, then.body).toBe(200);
    expect(then.json().agreement).toMatchObject({ revision: 4 });
    const now = await t.as('auditor', { method: 'GET', url: `/agreements/${damaged.id}/state?recordedAsOf=2099-01-01T00:00:00Z` });
    expect(now.statusCode).toBe(500);
    expect(now.json()).toMatchObject({ code: 'INTEGRITY_BROKEN', position: later.position, revision: 8 });

    // Loaded (and cached) intact, then edited under the running server: the replay still sees the edit.
    expect((await t.as('auditor', { method: 'GET', url: `/agreements/${before.id}` })).statusCode).toBe(200);
    const edited = positionOf(dir, before.id, 1);
    edit(dir, `UPDATE events SET data = replace(data, '"2019"', '"2018"') WHERE position = ?`, edited.position);
    const replayed = await t.as('auditor', { method: 'GET', url: `/agreements/${before.id}/state?recordedAsOf=2099-01-01T00:00:00Z` });
    expect(replayed.statusCode).toBe(500);
    expect(replayed.json()).toMatchObject({ code: 'INTEGRITY_BROKEN', position: edited.position, revision: 1 });
  });
  it('the register and pipeline as recorded by a moment leave out an agreement whose correction reaches back into damaged events, naming it', async () => {
    dir = await ledger();
    t = await startApp({ dir });
    const round = positionOf(dir, damaged.id, 3);
    const corrected = await t.as('officer', { method: 'POST', url: `/agreements/${damaged.id}/corrections`, payload: { eventId: round.eventId, withdraw: true, reason: 'recorded twice' } });
    expect(corrected.statusCode, corrected.body).toBe(201);
    const target = positionOf(dir, damaged.id, 2);
    edit(dir, `UPDATE events SET data = replace(data, '"round":1', '"round":9') WHERE position = ?`, target.position);

    const register = await t.as('auditor', { method: 'GET', url: '/agreements?recordedAsOf=2099-01-01T00:00:00Z' });
    expect(register.statusCode, register.body).toBe(200);
    expect(register.json().items.map((item: { id: string }) => item.id).sort()).toEqual([after.id, before.id]);
    expect(register.json().damaged).toEqual([{ agreementId: damaged.id, position: target.position }]);
    const pipeline = await t.as('auditor', { method: 'GET', url: '/dashboard/pipeline?recordedAsOf=2099-01-01T00:00:00Z' });
    expect(pipeline.statusCode, pipeline.body).toBe(200);
    expect(pipeline.json().damaged).toEqual([{ agreementId: damaged.id, position: target.position }]);
  });
});
