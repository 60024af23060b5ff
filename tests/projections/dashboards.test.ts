import { beforeAll, describe, expect, it } from 'vitest';
import { partialDate } from '../../domain/shared/partial-date.js';
import { calendarItem, type CalendarItem } from '../../projections/calendar/queries.js';
import { durations } from '../../projections/durations/queries.js';
import { partner, partners } from '../../projections/partners/queries.js';
import { pipeline } from '../../projections/pipeline/queries.js';
import { registerEntry, type RegisterEntry } from '../../projections/register/projection.js';
import type { RegisterProjector } from '../../src/application/register-projector.js';
import { stalled } from '../../projections/stalled/queries.js';
import { demoRegister } from './demo-entries.js';

/** The dashboards over the real demo data (seed 004, state of play of 14 September 2021). */
describe('dashboards over the demo data', () => {
  let register: RegisterProjector;
  let entries: RegisterEntry[];
  beforeAll(async () => {
    register = await demoRegister();
    entries = [...register.values()].map(registerEntry);
  }, 30_000);

  /** The whole calendar of a period, page by page, as the route reads it. */
  function calendar(from: string, to: string): CalendarItem[] {
    const [start, end] = [partialDate(from), partialDate(to)];
    const items: CalendarItem[] = [];
    for (let after: string | undefined; ; ) {
      const page = register.itemsInSpan(start.start, end.end, { limit: 7, ...(after ? { after } : {}) });
      items.push(...page.items.map(({ key, item }) => calendarItem(registerEntry(register.get(key)!), item.value, start, end)));
      if (page.next === null) return items;
      after = page.next;
    }
  }

  it('pipeline: every agreement in exactly one cell, cells in lifecycle order, ids listed', () => {
    const board = pipeline(entries);
    expect(board.total).toBe(entries.length);
    expect(board.cells.reduce((sum, cell) => sum + cell.count, 0)).toBe(entries.length);
    expect(board.cells.find((cell) => cell.stage === 'suspended' && cell.kind === 'readmission_agreement')?.ids).toEqual(['eu-belarus-readmission']);
    expect(board.cells.find((cell) => cell.stage === 'ratification' && cell.kind === 'partnership_cooperation_agreement')?.ids).toContain('eu-belarus-pca');
    const stages = board.cells.map((cell) => cell.stage);
    expect(stages.indexOf('negotiation')).toBeLessThan(stages.indexOf('applied'));
  });

  it('partners: Belarus has six agreements, one of them with suspension announced', () => {
    expect(partners(entries).find((row) => row.party === 'Belarus')).toEqual({
      party: 'Belarus', agreements: 6, stages: { ratification: 1, negotiation_paused: 1, applied: 3, suspended: 1 },
    });
    expect(partners(entries).some((row) => row.party === 'EU')).toBe(false);
  });

  it('a partner: Cabo Verde, with the amendment sent for consent and its entry into force expected in autumn 2021', () => {
    const amendment = partner(entries, 'cabo verde').find((row) => row.id === 'eu-cabo-verde-visa-facilitation-amendment');
    expect(amendment).toMatchObject({ stage: 'ratification', lastStep: { step: 'submitted_for_consent', occurredOn: '2021-07-14' } });
    expect(amendment?.nextSteps.map((step) => `${step.step}@${step.occurredOn}`)).toEqual(['entered_into_force@2021-autumn']);
  });

  it('calendar: the last quarter of 2021 lists what may fall in it, saying which only may', () => {
    const items = calendar('2021-10', '2021-12');
    expect(items.length).toBeGreaterThan(5);
    const autumn = items.find((item) => item.agreementId === 'eu-cabo-verde-visa-facilitation-amendment');
    expect(autumn).toMatchObject({ step: 'entered_into_force', occurredOn: '2021-autumn', precision: 'season', start: '2021-09-01', end: '2021-11-30', certain: false, tentative: true });
    for (const item of items) {
      const date = partialDate(item.occurredOn);
      expect(date.end >= '2021-10-01' && date.start <= '2021-12-31', item.occurredOn).toBe(true);
      expect(item.certain).toBe(date.start >= '2021-10-01' && date.end <= '2021-12-31');
    }
    expect(items.map((item) => item.start)).toEqual([...items.map((item) => item.start)].sort());
    // Exactly the steps of every agreement that may fall in the period, withdrawn ones left out, each once.
    const expected = [...register.entries()].flatMap(([key]) =>
      register.items(key).filter(({ value }) => !value.withdrawn && partialDate(value.data.occurredOn).end >= '2021-10-01' && partialDate(value.data.occurredOn).start <= '2021-12-31').map(({ value }) => value.eventId),
    );
    expect(items.map((item) => item.eventId).sort()).toEqual(expected.sort());
  });

  it('durations: counted only where both ends are firm and precise enough, with what was left out', () => {
    const readmission = durations(entries).find((row) => row.kind === 'readmission_agreement' && row.interval === 'signature_to_entry_into_force')!;
    expect(readmission.count + readmission.leftOut.missing + readmission.leftOut.imprecise).toBe(entries.filter((e) => e.kind === 'readmission_agreement').length);
    expect(readmission.count).toBeGreaterThan(0);
    expect(readmission.min).toBeLessThanOrEqual(readmission.median!);
    expect(readmission.median).toBeLessThanOrEqual(readmission.max!);
  });

  it('stalled: negotiations quiet for over a year on 14 September 2021, longest first, with their latest firm step', () => {
    const rows = stalled(entries, 12, '2021-09-14');
    const morocco = rows.find((row) => row.id === 'eu-morocco-readmission');
    expect(morocco).toMatchObject({ status: 'negotiating', latestFirm: { step: 'round_held', occurredOn: '2015-01' } });
    expect(rows.some((row) => row.id === 'eu-nigeria-readmission')).toBe(false);
    expect(rows.map((row) => row.idleMonths)).toEqual([...rows.map((row) => row.idleMonths)].sort((a, b) => b - a));
    expect(stalled(entries, 12, '2016-01-01').some((row) => row.id === 'eu-morocco-readmission')).toBe(false);
  });
});
