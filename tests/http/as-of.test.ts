import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApp } from './fixture.js';

type App = Awaited<ReturnType<typeof startApp>>;
const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
const id = 'eu-cabo-verde-visa-facilitation-amendment';

describe('the agreement as of a moment, on both time axes', () => {
  let t: App;
  beforeEach(async () => {
    t = await startApp();
  });
  afterEach(async () => {
    await t.close();
  });
  const post = (url: string, payload: object) => t.as('officer', { method: 'POST', url, payload });
  const stateAt = async (query: string) => t.as('auditor', { method: 'GET', url: `/agreements/${id}/state?${query}` });

  it('shows at each instant exactly what was recorded by then: the Cabo Verde signature as 21 March, then as corrected to 18 March', async () => {
    const registered = await post('/agreements', { id, title: 'EU-Cabo Verde VFA amendment', kind: 'visa_facilitation_agreement', parties: ['EU', 'Cabo Verde'] });
    await pause();
    const concluded = (await post(`/agreements/${id}/steps`, { step: 'negotiations_concluded', occurredOn: '2020-07-24' })).json();
    await pause();
    const signed = (await post(`/agreements/${id}/steps`, { step: 'signed', occurredOn: '2021-03-21', source: '004:67' })).json();
    await pause();
    const corrected = (await post(`/agreements/${id}/corrections`, { eventId: signed.event.eventId, changes: { occurredOn: '2021-03-18', source: '004:40' }, reason: 'the narrative gives 18 March 2021' })).json();
    expect(registered.statusCode).toBe(201);

    const before = await stateAt(`recordedAsOf=${encodeURIComponent('2000-01-01T00:00:00Z')}`);
    expect(before.statusCode).toBe(404);
    const afterConclusion = (await stateAt(`recordedAsOf=${concluded.event.recordedAt}`)).json();
    expect(afterConclusion.agreement).toMatchObject({ status: 'negotiations_concluded', revision: 1, milestones: { signed: null } });
    const afterSignature = (await stateAt(`recordedAsOf=${signed.event.recordedAt}`)).json();
    expect(afterSignature.agreement).toMatchObject({ status: 'signed', revision: 2, milestones: { signed: { occurredOn: '2021-03-21' } } });
    const afterCorrection = (await stateAt(`recordedAsOf=${corrected.event.recordedAt}`)).json();
    expect(afterCorrection.agreement).toMatchObject({ status: 'signed', revision: 3, milestones: { signed: { occurredOn: '2021-03-18' } } });
  });

  it('shows the agreement as it stood in the world by a date, corrections applied, with straddling dates listed as uncertain', async () => {
    await post('/agreements', { id, title: 'EU-Cabo Verde VFA amendment', kind: 'visa_facilitation_agreement', parties: ['EU', 'Cabo Verde'] });
    await post(`/agreements/${id}/steps`, { step: 'negotiations_concluded', occurredOn: '2020-07-24' });
    const signed = (await post(`/agreements/${id}/steps`, { step: 'signed', occurredOn: '2021-03-21' })).json();
    await post(`/agreements/${id}/corrections`, { eventId: signed.event.eventId, changes: { occurredOn: '2021-03-18' }, reason: 'the narrative gives 18 March 2021' });
    await post(`/agreements/${id}/steps`, { step: 'submitted_for_consent', occurredOn: '2021' });

    const on19March = (await stateAt('occurredBy=2021-03-19')).json();
    expect(on19March.agreement.status).toBe('signed');
    expect(on19March.uncertain).toEqual([expect.objectContaining({ step: 'submitted_for_consent', occurredOn: '2021' })]);
    const on17March = (await stateAt('occurredBy=2021-03-17')).json();
    expect(on17March.agreement.status).toBe('negotiations_concluded');
    expect(on17March.later).toBe(1);
    const endOf2021 = (await stateAt('occurredBy=2021')).json();
    expect(endOf2021).toMatchObject({ agreement: { status: 'ratifying' }, uncertain: [], later: 0 });
  });

  it('asks for at least one of the two axes, and only auditors and officers may ask', async () => {
    await post('/agreements', { id, title: 'x', kind: 'visa_facilitation_agreement', parties: ['EU', 'Cabo Verde'] });
    expect((await stateAt('')).statusCode).toBe(400);
    expect((await stateAt('recordedAsOf=2000-01-01T00:00:00Z&occurredBy=2021')).statusCode).toBe(404);
    expect((await stateAt('recordedAsOf=yesterday')).statusCode).toBe(400);
    expect((await t.as('viewer', { method: 'GET', url: `/agreements/${id}/state?occurredBy=2021` })).statusCode).toBe(403);
  });

  describe('the register as of a moment', () => {
    const register = (query: string) => t.as('auditor', { method: 'GET', url: `/agreements?${query}` });
    const row = (page: { items: { id: string }[] }, wanted: string) => page.items.find((item) => item.id === wanted);

    it('lists what the register showed at each instant of the Cabo Verde history, correction not applied before it was recorded', async () => {
      await post('/agreements', { id, title: 'EU-Cabo Verde VFA amendment', kind: 'visa_facilitation_agreement', parties: ['EU', 'Cabo Verde'] });
      await pause();
      const concluded = (await post(`/agreements/${id}/steps`, { step: 'negotiations_concluded', occurredOn: '2020-07-24' })).json();
      await pause();
      const other = await post('/agreements', { id: 'eu-belarus-readmission', title: 'EU-Belarus readmission', kind: 'readmission_agreement', parties: ['EU', 'Belarus'] });
      await pause();
      const signed = (await post(`/agreements/${id}/steps`, { step: 'signed', occurredOn: '2021-03-21' })).json();
      await pause();
      const corrected = (await post(`/agreements/${id}/corrections`, { eventId: signed.event.eventId, changes: { occurredOn: '2021-03-18' }, reason: 'the narrative gives 18 March 2021' })).json();
      await t.register.waitFor(corrected.event.position, 2000);

      const atConclusion = (await register(`recordedAsOf=${concluded.event.recordedAt}`)).json();
      expect(atConclusion).toMatchObject({ total: 1, recordedAsOf: concluded.event.recordedAt });
      expect(row(atConclusion, id)).toMatchObject({ status: 'negotiations_concluded', lastStep: { step: 'negotiations_concluded', occurredOn: '2020-07-24' } });
      const atSignature = (await register(`recordedAsOf=${signed.event.recordedAt}`)).json();
      expect(atSignature.total).toBe(2);
      expect(row(atSignature, id)).toMatchObject({ status: 'signed', lastStep: { step: 'signed', occurredOn: '2021-03-21' }, lastPosition: signed.event.position });
      expect(row(atSignature, 'eu-belarus-readmission')).toMatchObject({ lastPosition: Number(other.headers['ledger-position']) });
      const now = (await register(`recordedAsOf=${corrected.event.recordedAt}`)).json();
      expect(row(now, id)).toMatchObject({ lastStep: { step: 'signed', occurredOn: '2021-03-18' }, lastPosition: corrected.event.position });
      // The live register and the replay to the last instant agree row for row.
      const live = (await register('')).json();
      expect(now.items).toEqual(live.items);
      // Filters and paging work on the past too.
      expect((await register(`recordedAsOf=${signed.event.recordedAt}&kind=readmission_agreement`)).json().items.map((item: { id: string }) => item.id)).toEqual(['eu-belarus-readmission']);
      const firstPage = (await register(`recordedAsOf=${signed.event.recordedAt}&limit=1`)).json();
      expect(firstPage.items.map((item: { id: string }) => item.id)).toEqual([id]);
      const secondPage = (await register(`recordedAsOf=${signed.event.recordedAt}&limit=1&cursor=${firstPage.nextCursor}`)).json();
      expect(secondPage.items.map((item: { id: string }) => item.id)).toEqual(['eu-belarus-readmission']);
    });

    it('lists the register as it stood in the world by a date: later agreements absent, straddling steps listed', async () => {
      await post('/agreements', { id, title: 'EU-Cabo Verde VFA amendment', kind: 'visa_facilitation_agreement', parties: ['EU', 'Cabo Verde'] });
      await post(`/agreements/${id}/steps`, { step: 'negotiations_concluded', occurredOn: '2020-07-24' });
      const signed = (await post(`/agreements/${id}/steps`, { step: 'signed', occurredOn: '2021-03-21' })).json();
      await post(`/agreements/${id}/corrections`, { eventId: signed.event.eventId, changes: { occurredOn: '2021-03-18' }, reason: 'the narrative gives 18 March 2021' });
      await post('/agreements', { id: 'eu-belarus-readmission', title: 'EU-Belarus readmission', kind: 'readmission_agreement', parties: ['EU', 'Belarus'] });
      const last = (await post('/agreements/eu-belarus-readmission/steps', { step: 'mandate_adopted', occurredOn: '2021' })).json();
      await t.register.waitFor(last.event.position, 2000);

      const on19March = (await register('occurredBy=2021-03-19')).json();
      expect(on19March).toMatchObject({ occurredBy: '2021-03-19', total: 2, uncertainSteps: 1 });
      expect(row(on19March, id)).toMatchObject({ status: 'signed', lastStep: { occurredOn: '2021-03-18' }, uncertainSteps: [] });
      expect(row(on19March, 'eu-belarus-readmission')).toMatchObject({ uncertainSteps: [{ step: 'mandate_adopted', occurredOn: '2021' }] });
      const on17March = (await register('occurredBy=2021-03-17')).json();
      expect(row(on17March, id)).toMatchObject({ status: 'negotiations_concluded' });
      const in2019 = (await register('occurredBy=2019')).json();
      expect(in2019).toMatchObject({ total: 0, items: [] });
    });

    it('is for auditors and officers, with precise problems for bad parameters', async () => {
      expect((await t.as('viewer', { method: 'GET', url: '/agreements?occurredBy=2021' })).statusCode).toBe(403);
      const badDate = await register('occurredBy=sometime');
      expect(badDate.statusCode).toBe(400);
      expect(badDate.json().detail).toContain('occurredBy');
    });
  });
});
