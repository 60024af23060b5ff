import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApp } from './fixture.js';
import { registerModel } from '../../projections/register/projection.js';

type App = Awaited<ReturnType<typeof startApp>>;

const nigeria = { id: 'eu-nigeria-readmission', title: 'EU-Nigeria Readmission Agreement', kind: 'readmission_agreement', parties: ['EU', 'Nigeria'] };

/** What dashboards and auditors read: read models, the global log, integrity. */
describe('reading the ledger', () => {
  let t: App;
  beforeEach(async () => {
    t = await startApp();
  });
  afterEach(async () => {
    await t.close();
  });

  const register = (body: object = nigeria) => t.as('officer', { method: 'POST', url: '/agreements', payload: body });
  const recordStep = (body: object, headers: Record<string, string> = {}, id = nigeria.id) =>
    t.as('officer', { method: 'POST', url: `/agreements/${id}/steps`, payload: body, headers });

  describe('dashboards', () => {
    it('page a long calendar: limit, the total, and the cursor where the next page starts (offsets bounded)', async () => {
      await register();
      await recordStep({ step: 'round_held', occurredOn: '2021-01-28', round: 6 });
      await recordStep({ step: 'round_held', occurredOn: '2021-03', round: 7 });
      const last = await recordStep({ step: 'round_held', occurredOn: '2021-06-10', round: 8 });
      const page = (query: string) => t.as('viewer', { method: 'GET', url: `/dashboard/calendar?from=2021&to=2021&minPosition=${last.json().event.position}&${query}` });
      const first = (await page('limit=2')).json();
      expect(first).toMatchObject({ total: 3, nextCursor: expect.any(String) });
      expect(first.items.map((item: { occurredOn: string }) => item.occurredOn)).toEqual(['2021-01-28', '2021-03']);
      const second = (await page(`limit=2&cursor=${encodeURIComponent(first.nextCursor)}`)).json();
      expect(second).toMatchObject({ total: 3, nextCursor: null, items: [{ occurredOn: '2021-06-10' }] });
      expect(second.items).toHaveLength(1);
      const byOffset = (await page('limit=2&offset=2')).json();
      expect(byOffset).toMatchObject({ total: 3, nextOffset: null, items: [{ occurredOn: '2021-06-10' }] });
      expect((await page('limit=0')).statusCode).toBe(400);
      expect((await page('limit=1001')).statusCode).toBe(400);
      const far = await page('offset=10001');
      expect(far.statusCode).toBe(400);
      expect(far.json().detail).toMatch(/offset: must be at most 10000; page further with cursor/);
      const forged = await page('cursor=not-a-cursor');
      expect(forged.statusCode).toBe(400);
      expect(forged.json()).toMatchObject({ code: 'INVALID_CURSOR' });
      expect((await page(`cursor=${encodeURIComponent(first.nextCursor)}&offset=2`)).statusCode).toBe(400);
    });

    it('answer from the register once it has caught up with the caller\'s write', async () => {
      await register();
      const step = await recordStep({ step: 'round_held', occurredOn: '2021-01-28', round: 6 });
      const position = step.json().event.position;
      const pipeline = await t.as('viewer', { method: 'GET', url: `/dashboard/pipeline?minPosition=${position}` });
      expect(pipeline.statusCode).toBe(200);
      expect(pipeline.json()).toMatchObject({ total: 1, cells: [{ stage: 'negotiation', kind: 'readmission_agreement', ids: [nigeria.id] }] });
      const nigeriaPage = await t.as('viewer', { method: 'GET', url: `/dashboard/partners/Nigeria?minPosition=${position}` });
      expect(nigeriaPage.json().agreements[0]).toMatchObject({ id: nigeria.id, stage: 'negotiation', lastStep: { step: 'round_held' } });
      expect((await t.as('viewer', { method: 'GET', url: '/dashboard/partners/Atlantis' })).statusCode).toBe(404);
      const calendar = await t.as('viewer', { method: 'GET', url: `/dashboard/calendar?from=2021-Q1&to=2021-Q1&minPosition=${position}` });
      expect(calendar.json().items).toMatchObject([{ agreementId: nigeria.id, occurredOn: '2021-01-28', precision: 'day', certain: true }]);
      expect(calendar.json()).toMatchObject({ total: 1, nextCursor: null });
      const stalled = await t.as('viewer', { method: 'GET', url: `/dashboard/stalled?months=6&asOf=2022-06-01&minPosition=${position}` });
      expect(stalled.json().agreements.map((a: { id: string }) => a.id)).toEqual([nigeria.id]);
      expect((await t.as('viewer', { method: 'GET', url: '/dashboard/durations' })).statusCode).toBe(200);
    });

    it('read stalled negotiations and overdue plans as the world stood on an earlier day', async () => {
      await register();
      await recordStep({ step: 'round_held', occurredOn: '2019-11-18/2019-11-19', round: 4 });
      await recordStep({ step: 'signed', occurredOn: '2021-03' });
      await recordStep({ step: 'entered_into_force', occurredOn: '2021-Q4', tentative: true });
      await t.register.waitFor(await t.store.headPosition(), 2000);
      const stalledOn = async (asOf: string) => (await t.as('viewer', { method: 'GET', url: `/dashboard/stalled?months=6&asOf=${asOf}` })).json();
      // At the end of 2020 the rounds were a year old and nothing was signed yet; today the agreement is signed.
      expect((await stalledOn('2020-12-01')).agreements).toMatchObject([{ id: nigeria.id, status: 'negotiating', latestFirm: { step: 'round_held' } }]);
      expect((await stalledOn('2022-06-01')).agreements).toEqual([]);
      // The entry into force expected in the last quarter of 2021 is overdue once the quarter is over.
      expect((await stalledOn('2022-06-01')).overdue).toMatchObject([{ id: nigeria.id, planned: { step: 'entered_into_force', occurredOn: '2021-Q4' } }]);
      expect((await stalledOn('2021-11-15')).overdue).toEqual([]);
      const durations = (await t.as('viewer', { method: 'GET', url: '/dashboard/durations?asOf=2020-12-01' })).json();
      expect(durations.asOf).toBe('2020-12-01');
    });

    it('say 503 with the lag when the read model has not reached the position asked for, and 400 for a backwards period', async () => {
      const lagging = await t.as('viewer', { method: 'GET', url: '/dashboard/pipeline?minPosition=999' });
      expect(lagging.statusCode).toBe(503);
      expect(lagging.json()).toMatchObject({ code: 'PROJECTION_LAGGING', position: 0, lag: { events: 999 } });
      expect(lagging.headers['retry-after']).toBe('1');
      const backwards = await t.as('viewer', { method: 'GET', url: '/dashboard/calendar?from=2022&to=2021' });
      expect(backwards.statusCode).toBe(400);
      expect((await t.as('viewer', { method: 'GET', url: '/dashboard/calendar?from=Q4-2021&to=2022' })).statusCode).toBe(400);
    }, 10_000);
  });

  describe('the pipeline at another moment', () => {
    it('compares the pipeline at the end of 2019 with today, on both time axes', async () => {
      await register();
      await recordStep({ step: 'round_held', occurredOn: '2019-11-18/2019-11-19', round: 4 });
      const inNegotiation = (await recordStep({ step: 'round_held', occurredOn: '2019', round: 5 })).json();
      await new Promise((resolve) => setTimeout(resolve, 5));
      await recordStep({ step: 'signed', occurredOn: '2021-03' });
      await t.register.waitFor(await t.store.headPosition(), 2000);
      const today = (await t.as('viewer', { method: 'GET', url: '/dashboard/pipeline' })).json();
      expect(today.byStage).toMatchObject({ signed: 1, negotiation: 0 });
      const endOf2019 = (await t.as('auditor', { method: 'GET', url: '/dashboard/pipeline?occurredBy=2019-12-31' })).json();
      expect(endOf2019).toMatchObject({ occurredBy: '2019-12-31', uncertainSteps: 0, byStage: { negotiation: 1, signed: 0 } });
      const midNovember = (await t.as('auditor', { method: 'GET', url: '/dashboard/pipeline?occurredBy=2019-11-30' })).json();
      expect(midNovember).toMatchObject({ uncertainSteps: 1, byStage: { negotiation: 1 } });
      const asRecorded = (await t.as('officer', { method: 'GET', url: `/dashboard/pipeline?recordedAsOf=${inNegotiation.event.recordedAt}` })).json();
      expect(asRecorded).toMatchObject({ byStage: { negotiation: 1, signed: 0 }, cells: [{ ids: [nigeria.id] }] });
      // Both axes: the world at the end of 2021, as the ledger knew it before the signature was recorded, then now.
      const before = (await t.as('auditor', { method: 'GET', url: `/dashboard/pipeline?occurredBy=2021-12-31&recordedAsOf=${inNegotiation.event.recordedAt}` })).json();
      expect(before).toMatchObject({ occurredBy: '2021-12-31', recordedAsOf: inNegotiation.event.recordedAt, byStage: { negotiation: 1, signed: 0 } });
      const now = (await t.as('auditor', { method: 'GET', url: `/dashboard/pipeline?occurredBy=2021-12-31&recordedAsOf=${new Date().toISOString()}` })).json();
      expect(now).toMatchObject({ byStage: { negotiation: 0, signed: 1 } });
      // Dashboards read today's pipeline; the past is an audit question.
      const asViewer = await t.as('viewer', { method: 'GET', url: '/dashboard/pipeline?occurredBy=2019-12-31' });
      expect(asViewer.statusCode).toBe(403);
      expect(asViewer.headers['content-type']).toContain('application/problem+json');
    });
  });

  describe('GET /projections', () => {
    it('lists the register with its version, state, checkpoint and lag', async () => {
      await register();
      await t.register.waitFor(1, 2000);
      const response = await t.as('viewer', { method: 'GET', url: '/projections' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ headPosition: 1, projections: [{ name: 'register', version: registerModel.version, position: 1, lag: { events: 0, seconds: 0 } }] });
      expect(['live', 'catching_up']).toContain(response.json().projections[0].state);
    });

    it('says why a model stopped on its own, when its documents could not be stored', async () => {
      const commit = t.documents.commit;
      t.documents.commit = () => {
        throw new Error('disk I/O error');
      };
      try {
        await register();
        for (let waited = 0; t.register.describe().state !== 'stopped' && waited < 2000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
        const view = (await t.as('viewer', { method: 'GET', url: '/projections' })).json().projections[0];
        expect(view).toMatchObject({ state: 'stopped', checkpoint: 0, stopped: { reason: 'its documents could not be stored: disk I/O error' } });
      } finally {
        t.documents.commit = commit;
      }
    });
  });

  describe('GET /events', () => {
    it('pages the whole log in global order for auditors, with metadata and hashes, and logs the read', async () => {
      await register();
      await register({ ...nigeria, id: 'eu-other-readmission' });
      await recordStep({ step: 'round_held', occurredOn: '2021-01', round: 6 });
      const first = (await t.as('auditor', { method: 'GET', url: '/events?limit=2' })).json();
      expect(first.events.map((e: { position: number }) => e.position)).toEqual([1, 2]);
      expect(first.events[0]).toMatchObject({ stream: 'agreement-eu-nigeria-readmission', type: 'AgreementRegistered', recordedBy: 'alice', hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(first.nextAfter).toBe(2);
      const second = (await t.as('auditor', { method: 'GET', url: `/events?after=${first.nextAfter}&limit=2` })).json();
      expect(second).toMatchObject({ nextAfter: null, headPosition: 3, events: [{ position: 3, step: 'round_held' }] });
      expect((await t.as('viewer', { method: 'GET', url: '/events' })).statusCode).toBe(403);
      expect(t.logs.some((line) => line.includes('"audit":"events"') && line.includes('"actor":"bob"'))).toBe(true);
    });
  });

  describe('GET /agreements/{id}/integrity', () => {
    it('recomputes the hash chain for auditors; viewers may not ask', async () => {
      await register();
      await recordStep({ step: 'round_held', occurredOn: '2021-01', round: 6 });
      const response = await t.as('auditor', { method: 'GET', url: `/agreements/${nigeria.id}/integrity` });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ agreementId: nigeria.id, ok: true, checked: 2 });
      expect((await t.as('viewer', { method: 'GET', url: `/agreements/${nigeria.id}/integrity` })).statusCode).toBe(403);
      expect((await t.as('auditor', { method: 'GET', url: '/agreements/eu-nowhere/integrity' })).statusCode).toBe(404);
    });
  });
});
