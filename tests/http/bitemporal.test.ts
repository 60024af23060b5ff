import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClockedApp } from './clocked-app.js';

const ID = 'eu-testland-readmission';

/**
 * Both time axes at once: what the ledger knew at moment T (recordedAsOf) about the world by date D
 * (occurredBy). The history is learned out of order and corrected, at moments the test sets.
 */
describe('the world by a date, as the ledger knew it at a moment', () => {
  let t: Awaited<ReturnType<typeof startClockedApp>>;
  beforeAll(async () => {
    t = await startClockedApp('2016-01-15T09:00:00Z');
    const officer = (url: string, payload: object) => t.as('officer', { method: 'POST', url, payload });
    // Given, in January 2016: negotiations opened in May 2012 and entry into force on 1 October 2015
    await officer('/agreements', { id: ID, title: 'EU-Testland Readmission Agreement', kind: 'readmission_agreement', parties: ['EU', 'Testland'] });
    await officer(`/agreements/${ID}/steps`, { step: 'negotiations_opened', occurredOn: '2012-05' });
    const entry = await officer(`/agreements/${ID}/steps`, { step: 'entered_into_force', occurredOn: '2015-10-01' });
    expect(entry.statusCode).toBe(201);
    // In March 2021 an officer reads that the text was signed on 27 June 2014: learned late, and accepted
    t.setClock('2021-03-01T09:00:00Z');
    const signed = await officer(`/agreements/${ID}/steps`, { step: 'signed', occurredOn: '2014-06-27' });
    expect(signed.statusCode).toBe(201);
    // In June 2021 the entry into force is corrected to 1 March 2016, across the end of 2015
    t.setClock('2021-06-01T09:00:00Z');
    const corrected = await officer(`/agreements/${ID}/corrections`, { eventId: entry.json().event.eventId, changes: { occurredOn: '2016-03-01' }, reason: 'the Official Journal gives 1 March 2016' });
    expect(corrected.statusCode).toBe(201);
    t.setClock('2021-07-01T09:00:00Z');
    await t.caughtUp();
  });
  afterAll(async () => {
    await t.close();
  });

  const questions = [
    {
      recordedAsOf: '2016-01-20T00:00:00Z',
      occurredBy: '2014-12-31',
      // In January 2016 nobody had recorded the 2014 signature: at the end of 2014 the negotiations were open.
      status: 'negotiating',
      lastStep: { step: 'negotiations_opened', occurredOn: '2012-05' },
    },
    {
      recordedAsOf: '2021-03-05T00:00:00Z',
      occurredBy: '2014-12-31',
      // Once the signature was learned, the same end of 2014 reads as signed.
      status: 'signed',
      lastStep: { step: 'signed', occurredOn: '2014-06-27' },
    },
    {
      recordedAsOf: '2021-03-05T00:00:00Z',
      occurredBy: '2015-12-31',
      // Before the correction the entry into force was dated October 2015, so by the end of 2015 it was in force.
      status: 'in_force',
      lastStep: { step: 'entered_into_force', occurredOn: '2015-10-01' },
    },
    {
      recordedAsOf: '2021-06-05T00:00:00Z',
      occurredBy: '2015-12-31',
      // The correction moved the entry into force into 2016: at the end of 2015 the agreement was only signed.
      status: 'signed',
      lastStep: { step: 'signed', occurredOn: '2014-06-27' },
    },
  ];

  it.each(questions)('answers recordedAsOf=$recordedAsOf, occurredBy=$occurredBy on the agreement: $status', async ({ recordedAsOf, occurredBy, status, lastStep }) => {
    const answer = await t.as('auditor', { method: 'GET', url: `/agreements/${ID}/state?recordedAsOf=${recordedAsOf}&occurredBy=${occurredBy}` });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ recordedAsOf, occurredBy, agreement: { status, lastStep } });
  });

  it.each(questions)('answers recordedAsOf=$recordedAsOf, occurredBy=$occurredBy in the register: $status', async ({ recordedAsOf, occurredBy, status, lastStep }) => {
    const answer = await t.as('auditor', { method: 'GET', url: `/agreements?recordedAsOf=${recordedAsOf}&occurredBy=${occurredBy}` });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ recordedAsOf, occurredBy, total: 1, items: [{ id: ID, status, lastStep }] });
  });

  it('counts the corrected entry into force as later than the end of 2015, and the end of 2016 as in force', async () => {
    const endOf2015 = (await t.as('auditor', { method: 'GET', url: `/agreements/${ID}/state?recordedAsOf=2021-06-05T00:00:00Z&occurredBy=2015-12-31` })).json();
    expect(endOf2015).toMatchObject({ later: 1, uncertain: [] });
    const endOf2016 = (await t.as('auditor', { method: 'GET', url: `/agreements/${ID}/state?recordedAsOf=2021-06-05T00:00:00Z&occurredBy=2016-12-31` })).json();
    expect(endOf2016.agreement).toMatchObject({ status: 'in_force', lastStep: { step: 'entered_into_force', occurredOn: '2016-03-01' } });
  });

  it('keeps each axis meaningful alone: the register as recorded in January 2016, and the world at the end of 2014 as known now', async () => {
    const asRecorded = (await t.as('auditor', { method: 'GET', url: `/agreements/${ID}/state?recordedAsOf=2016-01-20T00:00:00Z` })).json();
    expect(asRecorded.agreement).toMatchObject({ status: 'in_force', lastStep: { step: 'entered_into_force', occurredOn: '2015-10-01' } });
    const asKnownNow = (await t.as('auditor', { method: 'GET', url: `/agreements/${ID}/state?occurredBy=2014-12-31` })).json();
    expect(asKnownNow.agreement).toMatchObject({ status: 'signed', lastStep: { step: 'signed', occurredOn: '2014-06-27' } });
  });
});
