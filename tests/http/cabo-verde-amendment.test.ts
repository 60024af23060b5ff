import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoDataIfEmpty } from '../../src/application/demo-data.js';
import { startClockedApp } from './clocked-app.js';

const ID = 'eu-cabo-verde-visa-facilitation-amendment';

/** The example: the register and the agreement page read one summary, so they say the same. */
describe('the Cabo Verde visa facilitation amendment in the demo data', () => {
  let t: Awaited<ReturnType<typeof startClockedApp>>;
  beforeAll(async () => {
    t = await startClockedApp('2026-12-02T09:00:00Z');
    // Given the demo data, loaded as the product loads it on first start
    const report = await loadDemoDataIfEmpty(t.store, t.handler, t.app.log);
    expect(report?.refusals.filter((refusal) => refusal.agreementId === ID)).toEqual([]);
    await t.caughtUp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('shows the submission for consent of 14 July 2021 as the last step, on the agreement and in the register', async () => {
    // When a viewer opens the agreement and finds its row in the register
    const agreement = (await t.as('auditor', { method: 'GET', url: `/agreements/${ID}` })).json();
    const register = (await t.as('auditor', { method: 'GET', url: `/agreements?q=${encodeURIComponent('Cabo Verde')}&limit=200` })).json();
    const row = register.items.find((item: { id: string }) => item.id === ID);
    // Then both name the same last step: the firm one, not the entry into force expected that autumn
    expect(agreement.lastStep).toMatchObject({ step: 'submitted_for_consent', occurredOn: '2021-07-14' });
    expect(row.lastStep).toEqual(agreement.lastStep);
    expect(agreement.status).toBe('ratifying');
    expect(row.status).toBe(agreement.status);
  });

  it('shows the entry into force planned for autumn 2021, overdue today, as planned on the agreement and next planned in the register', async () => {
    const agreement = (await t.as('auditor', { method: 'GET', url: `/agreements/${ID}` })).json();
    const register = (await t.as('auditor', { method: 'GET', url: `/agreements?q=${encodeURIComponent('Cabo Verde')}&limit=200` })).json();
    const row = register.items.find((item: { id: string }) => item.id === ID);
    const expected = { step: 'entered_into_force', occurredOn: '2021-autumn', occurredOnEdtf: '2021-09/2021-11', overdue: true };
    expect(agreement.planned).toEqual([{ ...expected, eventId: expect.any(String) }]);
    expect(agreement.nextPlanned).toEqual(agreement.planned[0]);
    expect(row.nextPlanned).toEqual(agreement.planned[0]);
    // And the planned entry into force is not a milestone: it has not happened
    expect(agreement.milestones.enteredIntoForce).toBeNull();
  });
});
