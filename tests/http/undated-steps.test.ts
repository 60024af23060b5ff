import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClockedApp } from './clocked-app.js';

const ID = 'eu-hong-kong-readmission';

/**
 * "Currently 17 readmission agreements are in force: Hong Kong, Macao, ..." (the 2015 joint
 * communication): in force by the day it was written, since when not said.
 */
describe('an agreement known only to be in force by a date', () => {
  let t: Awaited<ReturnType<typeof startClockedApp>>;
  beforeAll(async () => {
    t = await startClockedApp('2026-12-02T09:00:00Z');
    const officer = (url: string, payload: object) => t.as('officer', { method: 'POST', url, payload });
    await officer('/agreements', { id: ID, title: 'EU-Hong Kong Readmission Agreement', kind: 'readmission_agreement', parties: ['EU', 'Hong Kong'] });
    // Given an officer records what the source says: in force on or before 9 September 2015
    const recorded = await officer(`/agreements/${ID}/steps`, { step: 'entered_into_force', occurredOn: '../2015-09-09', source: '003' });
    expect(recorded.statusCode, recorded.body).toBe(201);
    await t.caughtUp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('reads in force today, its date given as written and in EDTF', async () => {
    const agreement = (await t.as('viewer', { method: 'GET', url: `/agreements/${ID}` })).json();
    expect(agreement.status).toBe('in_force');
    expect(agreement.lastStep).toMatchObject({ step: 'entered_into_force', occurredOn: '../2015-09-09', occurredOnEdtf: '../2015-09-09' });
    expect(agreement.milestones.enteredIntoForce).toMatchObject({ occurredOn: '../2015-09-09' });
  });

  it('is in force by 9 September 2015, with nothing uncertain', async () => {
    const state = (await t.as('auditor', { method: 'GET', url: `/agreements/${ID}/state?occurredBy=2015-09-09` })).json();
    expect(state.agreement.status).toBe('in_force');
    expect(state.uncertain).toEqual([]);
    expect(state.possibleStatus).toBeUndefined();
  });

  it('before that day is not known to be in force, and says it possibly was, on the agreement and in the register', async () => {
    const state = (await t.as('auditor', { method: 'GET', url: `/agreements/${ID}/state?occurredBy=2015-09-08` })).json();
    expect(state.agreement.status).toBe('draft');
    expect(state.possibleStatus).toBe('in_force');
    expect(state.uncertain).toEqual([expect.objectContaining({ step: 'entered_into_force', occurredOn: '../2015-09-09' })]);
    const register = (await t.as('auditor', { method: 'GET', url: '/agreements?occurredBy=2015-09-08' })).json();
    expect(register.items.find((row: { id: string }) => row.id === ID)).toMatchObject({ status: 'draft', possibleStatus: 'in_force' });
  });

  it('takes an undated mandate learned late and refuses a date of no known form, naming the forms', async () => {
    const mandate = await t.as('officer', { method: 'POST', url: `/agreements/${ID}/steps`, payload: { step: 'mandate_adopted', occurredOn: '../..' } });
    expect(mandate.statusCode, mandate.body).toBe(201);
    const refused = await t.as('officer', { method: 'POST', url: `/agreements/${ID}/steps`, payload: { step: 'meeting_held', occurredOn: 'before 2016', body: 'Joint Readmission Committee' } });
    expect(refused.statusCode).toBe(400);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body).toContain('occurredOn');
    expect(refused.body).toContain('../DATE (on or before)');
  });
});
