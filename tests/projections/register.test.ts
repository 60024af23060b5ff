import { describe, expect, it } from 'vitest';
import { registerEntry, registerModel, foldRegister, type RegisterDocument } from '../../projections/register/projection.js';
import { queryRegister, InvalidCursorError } from '../../projections/register/queries.js';
import { ItemsInMemory, type ProjectedEvent } from '../../projections/read-model.js';
import { registered, step, id } from '../domain/given-when-then.js';
import { rehydrate, storeStep, type AgreementEvent, type RecordedEvent, type StoredStep } from '../../domain/agreement/index.js';

const recorded = (events: AgreementEvent[]) => events.map((event, index) => ({ ...event, id: id(index) }) as RecordedEvent);

/** Given these events of one agreement, then this register document, and these steps stored as its items. */
function fold(...events: AgreementEvent[]): { document: RegisterDocument | undefined; steps: ItemsInMemory<StoredStep> } {
  const steps = new ItemsInMemory<StoredStep>();
  const document = recorded(events).reduce<RegisterDocument | undefined>(
    (document, event, index) =>
      foldRegister(document, { stream: 'agreement-eu-testland-readmission', position: 10 + index, recordedAt: `2026-01-0${1 + (index % 9)}T00:00:00.000Z`, event }, steps),
    undefined,
  );
  return { document, steps };
}

describe('the register read model', () => {
  it('shows status, last step and last activity, and stores each step as an item at its position', () => {
    const { document, steps } = fold(registered(), step('round_held', { occurredOn: '2021-01-28', round: 6 }), step('signed', { occurredOn: '2021-05' }));
    const { summary: _summary, ...row } = registerEntry(document!);
    expect(row).toEqual({
      id: 'eu-testland-readmission', title: 'EU-Testland Readmission Agreement', kind: 'readmission_agreement', binding: true, parties: ['EU', 'Testland'],
      status: 'signed', lastStep: { step: 'signed', occurredOn: '2021-05', eventId: id(2) }, lastPosition: 12, lastRecordedAt: '2026-01-03T00:00:00.000Z',
    });
    expect(steps.list()).toEqual([
      { seq: 11, prev: null, value: { eventId: id(1), step: 'round_held', data: { occurredOn: '2021-01-28', round: 6 } } },
      { seq: 12, prev: 11, value: { eventId: id(2), step: 'signed', data: { occurredOn: '2021-05' } } },
    ]);
  });

  it('recomputes the status when a step is withdrawn', () => {
    const { document } = fold(registered(), step('signed', { occurredOn: '2021' }), step('entered_into_force', { occurredOn: '2022' }), { type: 'StepWithdrawn', data: { withdrawnEventId: id(2), reason: 'wrong agreement' } });
    expect(registerEntry(document!).status).toBe('signed');
    expect(registerEntry(document!).lastStep).toMatchObject({ step: 'signed' });
  });

  it('survives being stored as JSON and read back: same row, same lifecycle; refuses a document of another shape', () => {
    const { document, steps } = fold(registered(), step('round_held', { occurredOn: '2021-01-28', round: 6 }));
    const restored = registerModel.fromJSON(JSON.parse(JSON.stringify(registerModel.toJSON(document!))));
    expect(registerEntry(restored)).toEqual(registerEntry(document!));
    expect(restored.machine.value).toBe('negotiating');
    const next: ProjectedEvent = { stream: 'agreement-eu-testland-readmission', position: 20, recordedAt: '2026-02-01T00:00:00.000Z', event: { ...step('round_held', { occurredOn: '2021-02-18', round: 7 }), id: id(9) } as RecordedEvent };
    expect(foldRegister(restored, next, steps)?.machine.context.lastRound).toBe(7);
    // Version 2 kept the whole state in the document: read while rebuilding, it must not pass for version 3.
    expect(() => registerModel.fromJSON({ state: { machine: restored.machine, steps: [] }, lastPosition: 1, lastRecordedAt: '2026-01-01T00:00:00.000Z' })).toThrow();
  });

  it('folds step by step to what replaying the whole history gives: summary, lifecycle and stored steps, corrections and withdrawals included', () => {
    const events: AgreementEvent[] = [
      registered(),
      step('round_held', { occurredOn: '2021-01-28', round: 6, location: 'Brussels' }),
      step('signed', { occurredOn: '2021-03-21', source: '004:67' }),
      { type: 'StepCorrected', data: { correctedEventId: id(2), changes: { occurredOn: '2021-03-18', source: null }, reason: 'the narrative gives 18 March' } },
      step('entered_into_force', { occurredOn: '2021-autumn', tentative: true }),
      step('meeting_held', { occurredOn: '2021-06', body: 'Joint Committee', tentative: true }),
      step('meeting_held', { occurredOn: '2021-07-01', body: 'Joint Committee' }),
      step('entered_into_force', { occurredOn: '2022' }),
      { type: 'StepWithdrawn', data: { withdrawnEventId: id(7), reason: 'wrong agreement' } },
    ];
    const { document, steps } = fold(...events);
    const replayed = rehydrate(recorded(events));
    expect(document!.machine).toEqual(replayed.machine);
    expect(document!.summary).toEqual(replayed.summary);
    expect(document!.summary.planned.map((planned) => planned.step)).toEqual(['entered_into_force']);
    expect(steps.list().map(({ value }) => value)).toEqual(replayed.steps.map(storeStep));
    expect(steps.list()[1]!.value).toMatchObject({ data: { occurredOn: '2021-03-18' }, original: { occurredOn: '2021-03-21', source: '004:67' }, corrections: [{ reason: 'the narrative gives 18 March' }] });
    // A step's item stays at the position of the event that recorded it, corrected or not, chained to the one before.
    expect(steps.list().map(({ seq }) => seq)).toEqual([11, 12, 14, 15, 16, 17]);
    expect(steps.chain(document!.lastStep)).toEqual(steps.list());
    expect(steps.list().map(({ prev }) => prev)).toEqual([null, 11, 12, 14, 15, 16]);
  });

  it('records the steps the machine refuses as anomalies, as a replay does, and leaves the lifecycle where it was', () => {
    // A log may hold steps today's rules refuse (an old history, an import): shown, not lost.
    const events: AgreementEvent[] = [
      registered(),
      step('round_held', { occurredOn: '2021-01-28', round: 6 }),
      step('round_held', { occurredOn: '2021-02-28', round: 4 }),
      step('resumed', { occurredOn: '2021-05' }),
      step('round_held', { occurredOn: '2021-06', round: 7, tentative: true }),
    ];
    const { document } = fold(...events);
    const replayed = rehydrate(recorded(events));
    expect(replayed.anomalies.map(({ eventId }) => eventId)).toEqual([id(2), id(3)]);
    expect(document!.anomalies).toEqual(replayed.anomalies);
    expect(document!.machine).toEqual(replayed.machine);
    expect(registerEntry(document!).status).toBe('negotiating');
  });

  it('pages most recent activity first with an opaque cursor, and refuses a forged one', () => {
    const rows = [1, 2, 3, 4, 5].map((n) => ({ ...registerEntry(fold(registered()).document!), id: `eu-${n}`, lastPosition: n }));
    const first = queryRegister(rows, { limit: 2 });
    expect(first.items.map((r) => r.id)).toEqual(['eu-5', 'eu-4']);
    const second = queryRegister(rows, { limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((r) => r.id)).toEqual(['eu-3', 'eu-2']);
    expect(() => queryRegister(rows, { limit: 2, cursor: 'xyz' })).toThrow(InvalidCursorError);
  });
});
