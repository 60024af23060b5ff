import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingOrder, worldHistories } from '../domain/world-histories.js';
import { startClockedApp } from './clocked-app.js';

const TODAY = '2026-12-02';

type Json = Record<string, unknown>;

/**
 * One fold behind every answer: for random valid histories, recorded over HTTP in a random order,
 * the agreement page and its register row agree, and asking both time axes for (now, today)
 * answers exactly what the live routes answer.
 */
describe('every answer about an agreement reads the same summary', () => {
  let t: Awaited<ReturnType<typeof startClockedApp>>;
  let runs = 0;
  beforeAll(async () => {
    t = await startClockedApp(`${TODAY}T08:00:00Z`);
  });
  afterAll(async () => {
    await t.close();
  });

  const get = async (role: 'officer' | 'auditor', url: string): Promise<Json> => {
    const response = await t.as(role, { method: 'GET', url });
    expect(response.statusCode, `GET ${url}: ${response.body}`).toBe(200);
    return response.json();
  };

  /** The pipeline cell an agreement is counted in: its stage and kind. */
  const cellOf = async (id: string, query: string) => {
    const cells = (await get('auditor', `/dashboard/pipeline?${query}`)).cells as Array<{ stage: string; kind: string; ids: string[] }>;
    const cell = cells.find((candidate) => candidate.ids.includes(id));
    return cell ? { stage: cell.stage, kind: cell.kind } : 'in no cell';
  };

  it('agrees between the agreement, its register row and the as-of answers for now and today', async () => {
    const histories = fc.nat({ max: 1_000_000 }).chain((seed) => worldHistories(TODAY, `eu-property-${seed}-readmission`));
    await fc.assert(
      fc.asyncProperty(histories, fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 24 }), async (history, priorities) => {
        // Given a valid history recorded step by step over HTTP, in an order every step of which is accepted
        const id = `${history.registration.agreementId}-${++runs}`;
        const { title, kind, binding, parties } = history.registration;
        const registered = await t.as('officer', { method: 'POST', url: '/agreements', payload: { id, title, kind, binding, parties } });
        expect(registered.statusCode, registered.body).toBe(201);
        for (const step of recordingOrder(history, priorities)) {
          const recorded = await t.as('officer', { method: 'POST', url: `/agreements/${id}/steps`, payload: { step: step.step, ...step.data } });
          expect(recorded.statusCode, `${step.step} ${JSON.stringify(step.data)}: ${recorded.body}`).toBe(201);
        }
        await t.caughtUp();

        // When the agreement and the register are read
        const agreement = await get('auditor', `/agreements/${id}`);
        const register = await get('auditor', '/agreements?limit=200');
        const row = (register.items as Json[]).find((item) => item.id === id)!;
        // Then every field the row shares with the agreement says the same
        const shared = Object.keys(row).filter((field) => field in agreement);
        expect(shared).toEqual(expect.arrayContaining(['status', 'lastStep', 'nextPlanned']));
        for (const field of shared) expect(row[field], field).toEqual(agreement[field]);

        // And the world by today as the ledger knows it now is the live answer, on every route that asks both
        const both = `recordedAsOf=${t.now()}&occurredBy=${TODAY}`;
        expect((await get('auditor', `/agreements/${id}/state?${both}`)).agreement).toEqual(agreement);
        const rowThen = ((await get('auditor', `/agreements?limit=200&${both}`)).items as Json[]).find((item) => item.id === id);
        expect(rowThen, 'the row by today').toEqual({ ...row, uncertainSteps: [] });
        const cellNow = await cellOf(id, '');
        expect(await cellOf(id, both)).toEqual(cellNow);
      }),
      // Each run asserts only about its own agreement, so a shrunk counterexample stands alone.
      { numRuns: 25 },
    );
  }, 120_000);
});
