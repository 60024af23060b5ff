import { describe, expect, it } from 'vitest';
import { registerEntry, registerModel, foldRegister, type RegisterDocument } from '../../projections/register/projection.js';
import { queryRegister, InvalidCursorError } from '../../projections/register/queries.js';
import type { ProjectedEvent } from '../../projections/read-model.js';
import { registered, step, id } from '../domain/given-when-then.js';
import type { AgreementEvent, RecordedEvent } from '../../domain/agreement/index.js';

/** Given these events of one agreement, then this register row. */
function fold(...events: AgreementEvent[]): RegisterDocument | undefined {
  return events.reduce<RegisterDocument | undefined>(
    (document, event, index) =>
      foldRegister(document, { stream: 'agreement-eu-testland-readmission', position: 10 + index, recordedAt: `2026-01-0${1 + (index % 9)}T00:00:00.000Z`, event: { ...event, id: id(index) } as RecordedEvent }),
    undefined,
  );
}

describe('the register read model', () => {
  it('shows status, last step and last activity', () => {
    const document = fold(registered(), step('round_held', { occurredOn: '2021-01-28', round: 6 }), step('signed', { occurredOn: '2021-05' }));
    expect(registerEntry(document!)).toEqual({
      id: 'eu-testland-readmission', title: 'EU-Testland Readmission Agreement', kind: 'readmission_agreement', binding: true, parties: ['EU', 'Testland'],
      status: 'signed', lastStep: { step: 'signed', occurredOn: '2021-05', tentative: false }, lastPosition: 12, lastRecordedAt: '2026-01-03T00:00:00.000Z',
      steps: [
        { eventId: id(1), step: 'round_held', occurredOn: '2021-01-28', tentative: false, planned: false },
        { eventId: id(2), step: 'signed', occurredOn: '2021-05', tentative: false, planned: false },
      ],
    });
  });

  it('recomputes the status when a step is withdrawn', () => {
    const document = fold(registered(), step('signed', { occurredOn: '2021' }), step('entered_into_force', { occurredOn: '2022' }), { type: 'StepWithdrawn', data: { withdrawnEventId: id(2), reason: 'wrong agreement' } });
    expect(registerEntry(document!).status).toBe('signed');
    expect(registerEntry(document!).lastStep).toMatchObject({ step: 'signed' });
  });

  it('survives being stored as JSON and read back: same row, same lifecycle', () => {
    const document = fold(registered(), step('round_held', { occurredOn: '2021-01-28', round: 6 }))!;
    const restored = registerModel.fromJSON(JSON.parse(JSON.stringify(registerModel.toJSON(document))));
    expect(registerEntry(restored)).toEqual(registerEntry(document));
    expect(restored.state.machine.value).toBe('negotiating');
    const next: ProjectedEvent = { stream: 'agreement-eu-testland-readmission', position: 20, recordedAt: '2026-02-01T00:00:00.000Z', event: { ...step('round_held', { occurredOn: '2021-02-18', round: 7 }), id: id(9) } as RecordedEvent };
    expect(foldRegister(restored, next)?.state.machine.context.lastRound).toBe(7);
  });

  it('writes the same bytes with its quick serializer as JSON.stringify does, corrections and withdrawals included, and reads them back whole', () => {
    const document = fold(
      registered(),
      step('round_held', { occurredOn: '2021-01-28', round: 6, location: 'Brussels' }),
      step('signed', { occurredOn: '2021-03-21', source: '004:67' }),
      { type: 'StepCorrected', data: { correctedEventId: id(2), changes: { occurredOn: '2021-03-18', source: null }, reason: 'the narrative gives 18 March' } },
      step('entered_into_force', { occurredOn: '2022' }),
      { type: 'StepWithdrawn', data: { withdrawnEventId: id(4), reason: 'wrong agreement' } },
    )!;
    const json = registerModel.serialize!(document);
    expect(json).toBe(JSON.stringify(registerModel.toJSON(document)));
    // Twice: the second time from the per-step cache.
    expect(registerModel.serialize!(document)).toBe(json);
    const restored = registerModel.fromJSON(JSON.parse(json));
    expect(restored.state).toEqual(document.state);
    expect(restored.state.steps[1]).toMatchObject({ data: { occurredOn: '2021-03-18' }, original: { occurredOn: '2021-03-21', source: '004:67' }, corrections: [{ reason: 'the narrative gives 18 March' }] });
  });

  it('pages most recent activity first with an opaque cursor, and refuses a forged one', () => {
    const rows = [1, 2, 3, 4, 5].map((n) => ({ ...registerEntry(fold(registered())!), id: `eu-${n}`, lastPosition: n }));
    const first = queryRegister(rows, { limit: 2 });
    expect(first.items.map((r) => r.id)).toEqual(['eu-5', 'eu-4']);
    const second = queryRegister(rows, { limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((r) => r.id)).toEqual(['eu-3', 'eu-2']);
    expect(() => queryRegister(rows, { limit: 2, cursor: 'xyz' })).toThrow(InvalidCursorError);
  });
});
