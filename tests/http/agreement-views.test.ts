import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandHandler } from '../../src/application/handle-command.js';
import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';
import { AgreementViews } from '../../src/http/agreement-views.js';
import { startApp } from './fixture.js';

type App = Awaited<ReturnType<typeof startApp>>;

/** A build function that says how often it ran. */
function counted(document: unknown) {
  const build = () => {
    build.calls++;
    return document;
  };
  build.calls = 0;
  return build;
}

const DAY = '2026-12-02';

describe('AgreementViews', () => {
  it('answers from a prepared view only while the store version it was current at has not moved', () => {
    const views = new AgreementViews(10);
    const built = views.at('eu-nigeria', 3, 7, DAY, () => ({ id: 'eu-nigeria', revision: 3 }));
    expect(built).toMatchObject({ revision: 3, etag: '"3"', json: '{"id":"eu-nigeria","revision":3}', storeVersion: 7 });
    expect(views.current('eu-nigeria', 7, DAY)).toBe(built);
    expect(views.current('eu-nigeria', 8, DAY)).toBeUndefined();
    expect(views.current('eu-nigeria', undefined, DAY)).toBeUndefined();
    expect(views.current('eu-belarus', 7, DAY)).toBeUndefined();
  });

  it('never answers from a view built when the store could not say its version', () => {
    const views = new AgreementViews(10);
    views.at('eu-nigeria', 0, undefined, DAY, () => ({}));
    expect(views.current('eu-nigeria', undefined, DAY)).toBeUndefined();
  });

  it('rebuilds the JSON only when the revision changed, and moves the view to the newer store version', () => {
    const views = new AgreementViews(10);
    const first = counted({ revision: 1 });
    views.at('eu-nigeria', 1, 1, DAY, first);
    // Something else was committed (version 2), but this agreement is still at revision 1.
    const same = counted({ revision: 'never used' });
    const again = views.at('eu-nigeria', 1, 2, DAY, same);
    expect(first.calls).toBe(1);
    expect(same.calls).toBe(0);
    expect(again).toMatchObject({ revision: 1, json: '{"revision":1}', storeVersion: 2 });
    expect(views.current('eu-nigeria', 2, DAY)).toBe(again);
    expect(views.current('eu-nigeria', 1, DAY)).toBeUndefined();

    const next = counted({ revision: 2 });
    const moved = views.at('eu-nigeria', 2, 3, DAY, next);
    expect(next.calls).toBe(1);
    expect(moved).toMatchObject({ revision: 2, etag: '"2"', json: '{"revision":2}', storeVersion: 3 });
  });

  it('drops the oldest prepared view past its capacity, and rebuilds it on its next read', () => {
    // Each view here is one character of JSON, so the capacity is the same whether it counts views or characters.
    const views = new AgreementViews(2);
    views.at('a', 0, 1, DAY, () => 1);
    views.at('b', 0, 1, DAY, () => 2);
    expect(views.current('a', 1, DAY)?.json).toBe('1');
    views.at('c', 0, 1, DAY, () => 3);
    expect(views.current('a', 1, DAY)).toBeUndefined();
    expect(views.current('b', 1, DAY)?.json).toBe('2');
    expect(views.current('c', 1, DAY)?.json).toBe('3');
    const rebuilt = counted(1);
    views.at('a', 0, 1, DAY, rebuilt);
    expect(rebuilt.calls).toBe(1);
    expect(views.current('a', 1, DAY)?.json).toBe('1');
    expect(views.current('b', 1, DAY)).toBeUndefined();
    expect(views.current('c', 1, DAY)?.json).toBe('3');
  });
});

describe('GET /agreements/{id} while another process writes to the same SQLite file', () => {
  const id = 'eu-nigeria-readmission';
  const nigeria = { id, title: 'EU-Nigeria Readmission Agreement', kind: 'readmission_agreement', parties: ['EU', 'Nigeria'] };
  let t: App;
  let other: SqliteEventStore;

  beforeEach(async () => {
    t = await startApp();
    expect((await t.as('officer', { method: 'POST', url: '/agreements', payload: nigeria })).statusCode).toBe(201);
    other = new SqliteEventStore(t.store.file);
  });
  afterEach(async () => {
    await other.close();
    await t.close();
  });

  const get = (headers: Record<string, string> = {}) => t.as('viewer', { method: 'GET', url: `/agreements/${id}`, headers });

  it('shows the step written elsewhere, not the answer prepared before it', async () => {
    const before = await get();
    expect(before.statusCode).toBe(200);
    expect(before.headers.etag).toBe('"0"');
    expect(before.json()).toMatchObject({ revision: 0, status: 'draft', lastStep: null });
    expect((await get({ 'if-none-match': '"0"' })).statusCode).toBe(304);

    await new CommandHandler(other).handle(
      id,
      { type: 'RecordStep', step: 'round_held', data: { occurredOn: '2021-01-28', round: 6 } },
      { actor: 'elsewhere', commandId: 'round-6-from-another-process' },
    );
    // The store asks SQLite for other connections' commits at most once a millisecond.
    await new Promise((resolve) => setTimeout(resolve, 5));

    const after = await get();
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).toBe('"1"');
    expect(after.json()).toMatchObject({ revision: 1, status: 'negotiating', lastStep: { step: 'round_held', occurredOn: '2021-01-28' } });

    // The client's old ETag no longer matches; the current one does.
    const stale = await get({ 'if-none-match': '"0"' });
    expect(stale.statusCode).toBe(200);
    expect(stale.json().revision).toBe(1);
    const notModified = await get({ 'if-none-match': '"1"' });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.headers.etag).toBe('"1"');
    expect(notModified.body).toBe('');
  });

  it('answers a repeated read with the same body and ETag while nothing was written', async () => {
    const first = await get();
    const second = await get();
    expect(second.statusCode).toBe(200);
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(second.body).toBe(first.body);
    expect(second.headers['content-type']).toBe('application/json; charset=utf-8');
  });
});
