import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApp } from '../http/fixture.js';

/**
 * Issue 8, test 4 (SQL): injection strings in every string field of every write and in the query
 * parameters. Parameterised SQL stores them as text and matches them as text: accepted ones come
 * back verbatim, refused ones are refused as any bad value is, and both databases keep their tables.
 */
const INJECTIONS = [
  "'; DROP TABLE events; --", '" OR 1=1 --', "' OR '1'='1", "1; DELETE FROM events", "'); DELETE FROM events WHERE ('1'='1",
  "x' UNION SELECT event_id, data FROM events --", "%' OR 1=1 --", '*/ DROP TABLE read_model_documents; /*', "\\'; UPDATE events SET data='{}'; --",
  "x\u0000'; DROP TABLE events; --", '?1 ?2 :id @id $id', "json_extract(data, '$.title')", "'||(SELECT hash FROM events LIMIT 1)||'",
];
const STEP_TEXT_FIELDS = ['dateText', 'party', 'location', 'body', 'scope', 'note', 'source'] as const;

let ledger: Awaited<ReturnType<typeof startApp>>;
beforeAll(async () => {
  ledger = await startApp();
});
afterAll(async () => ledger?.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) => ledger.as('officer', { method: 'POST', url, payload: payload as object, headers });
const get = (url: string) => ledger.as('auditor', { method: 'GET', url });

/** Counts rows straight from the files, beside the app's own connection: the tables are there and hold what the API says. */
function tables(): { events: number; documents: number; names: string[] } {
  const events = new Database(ledger.store.file, { readonly: true });
  const models = new Database(join(dirname(ledger.store.file), 'read-models.sqlite'), { readonly: true });
  try {
    const names = [events, models].flatMap((db) => (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((row) => row.name));
    return {
      events: (events.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n,
      documents: (models.prepare('SELECT count(*) AS n FROM read_model_documents').get() as { n: number }).n,
      names,
    };
  } finally {
    events.close();
    models.close();
  }
}

describe('injection strings', () => {
  it('are stored verbatim in every string field of every write, and leave the tables intact', async () => {
    const before = tables();
    let written = 0;
    for (const [index, text] of INJECTIONS.entries()) {
      const id = `eu-inject-${index}`;
      const registered = await post('/agreements', { id, title: text, kind: 'readmission_agreement', parties: ['EU', text], note: text, source: text });
      expect(registered.statusCode, registered.body).toBe(201);
      const stepData = { occurredOn: '2021', ...Object.fromEntries(STEP_TEXT_FIELDS.map((field) => [field, text])), alternativeDates: [{ occurredOn: '2022', source: text, note: text }] };
      // Headers the server stores in the event's metadata, too.
      const recorded = await post(`/agreements/${id}/steps`, { step: 'meeting_held', ...stepData }, { 'x-correlation-id': text.replace(/\0/g, ''), 'idempotency-key': `k${index}'OR'1'='1` });
      expect(recorded.statusCode, recorded.body).toBe(201);
      const eventId = recorded.json().event.eventId as string;
      const corrected = await post(`/agreements/${id}/corrections`, { eventId, changes: { location: text, note: text }, reason: text });
      expect(corrected.statusCode, corrected.body).toBe(201);
      written += 3;

      const history = (await get(`/agreements/${id}/history`)).json() as { events: Array<{ data: Record<string, unknown>; correlationId?: string }> };
      expect(history.events.map((event) => event.data)).toEqual([
        { agreementId: id, title: text, kind: 'readmission_agreement', binding: true, parties: ['EU', text], links: {}, note: text, source: text },
        stepData,
        { correctedEventId: eventId, changes: { location: text, note: text }, reason: text },
      ]);
      expect(history.events[1]!.correlationId).toBe(text.replace(/\0/g, ''));
      expect((await get(`/agreements/${id}`)).json()).toMatchObject({ title: text, parties: ['EU', text], note: text });
    }
    const after = tables();
    // None gone; the only new one is the register's item table, made with its first steps.
    expect(after.names).toEqual(expect.arrayContaining(before.names));
    expect(after.names.filter((name) => !before.names.includes(name)).every((name) => /^read_model_items_\d+$/.test(name))).toBe(true);
    expect(after.events).toBe(before.events + written);
    expect(after.events).toBe(await ledger.store.headPosition());
    // The live register stores its documents a moment after applying them: its checkpoint says when.
    await vi.waitFor(() => expect(ledger.register.describe().checkpoint).toBeGreaterThanOrEqual(after.events), { timeout: 10_000 });
    expect(tables().documents).toBe(before.documents + INJECTIONS.length);
  });

  it('in fields that do not take free text are refused like any bad value, and write nothing', async () => {
    const { eventId } = (await post('/agreements/eu-inject-0/steps', { step: 'meeting_held', occurredOn: '2021', body: 'Joint Committee' })).json().event;
    const before = tables();
    for (const text of INJECTIONS) {
      const refused = [
        await post('/agreements', { id: text, title: 'x', kind: 'readmission_agreement', parties: ['EU', 'X'] }),
        await post('/agreements', { id: 'eu-inject-new', title: 'x', kind: text, parties: ['EU', 'X'] }),
        await post('/agreements', { id: 'eu-inject-new', title: 'x', kind: 'readmission_agreement', parties: ['EU', 'X'], links: { amends: text } }),
        await post('/agreements/eu-inject-0/steps', { step: text, occurredOn: '2021' }),
        await post('/agreements/eu-inject-0/steps', { step: 'meeting_held', occurredOn: text, body: 'x' }),
        await post('/agreements/eu-inject-0/steps', { step: 'meeting_held', occurredOn: '2021', body: 'x', meetingStatus: text }),
        await post(`/agreements/${encodeURIComponent(text)}/steps`, { step: 'meeting_held', occurredOn: '2021', body: 'x' }),
        await post('/agreements/eu-inject-0/steps', { step: 'meeting_held', occurredOn: '2021', body: 'x' }, { 'if-match': text.replace(/\0/g, '') }),
        await post('/agreements/eu-inject-0/corrections', { eventId: text, changes: { note: 'x' }, reason: 'x' }),
        await post('/agreements/eu-inject-0/corrections', { eventId, changes: { [text]: 'x' }, reason: 'x' }),
      ];
      for (const response of refused) {
        expect(response.statusCode, response.body).toBe(400);
        expect(response.json().code).toMatch(/^[A-Z_]+$/);
      }
    }
    expect(tables()).toEqual(before);
  });

  it('in query parameters match as text, or are refused, and change nothing', async () => {
    const before = tables();
    const total = (await get('/agreements?limit=200')).json().total as number;
    for (const [index, text] of INJECTIONS.entries()) {
      const q = encodeURIComponent(text);
      // Every word of q must be in the title: only the agreement with that very title, never the whole register.
      const byTitle = (await get(`/agreements?q=${q}&limit=200`)).json() as { items: Array<{ id: string; title: string }>; total: number };
      expect(byTitle.items.map((item) => item.id)).toContain(`eu-inject-${index}`);
      expect(byTitle.total).toBeLessThan(total);
      const byParty = (await get(`/agreements?party=${q}&limit=200`)).json() as { items: Array<{ id: string }> };
      expect(byParty.items.map((item) => item.id)).toEqual([`eu-inject-${index}`]);
      expect((await get(`/agreements?kind=${q}`)).json()).toMatchObject({ items: [], total: 0 });
      expect((await get(`/dashboard/partners/${q}`)).json()).toMatchObject({ party: text, agreements: [{ id: `eu-inject-${index}` }] });
      for (const url of [`/agreements?cursor=${q}`, `/agreements?status=${q}`, `/events?after=${q}`, `/agreements/eu-inject-0/state?occurredBy=${q}`, `/dashboard/calendar?from=${q}&to=2022`]) {
        const response = await get(url);
        expect(response.statusCode, `${url}: ${response.body}`).toBe(400);
      }
    }
    expect(tables()).toEqual(before);
  });
});
