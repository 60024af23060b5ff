import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serializeStep } from '../../projections/register/projection.js';
import type { ProjectedEvent } from '../../projections/read-model.js';
import type { StoredStep } from '../../domain/agreement/index.js';

/** A step row put together around the event's stored data text must be the text JSON.stringify writes. */
describe('register step rows', () => {
  const eventWith = (data: Record<string, unknown>, dataText?: string): ProjectedEvent =>
    ({ stream: 'agreement-x', position: 7, recordedAt: '2026-11-22T00:00:00.000Z', event: { id: 'e-7', type: 'NegotiationRoundHeld', data }, dataText }) as ProjectedEvent;

  it('equal JSON.stringify of the step, for any data, when built from the stored text', () => {
    const data = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });
    // Ids and step names with and without characters JSON must escape (a UUID has none).
    const name = fc.oneof(fc.string({ maxLength: 40 }), fc.uuid(), fc.stringMatching(/^[\w.:-]{0,20}$/));
    fc.assert(
      fc.property(data, name, name, (value, eventId, stepName) => {
        // What the store hands over: the text JSON.stringify wrote, read back with JSON.parse.
        const text = JSON.stringify(value);
        const parsed = JSON.parse(text) as StoredStep['data'];
        const step = { eventId, step: stepName, data: parsed } as StoredStep;
        expect(serializeStep(step, eventWith(parsed, text))).toBe(JSON.stringify(step));
      }),
      { numRuns: 500 },
    );
  });

  it('serialise corrected, withdrawn and other events\' steps in full, not from the event\'s text', () => {
    const data = { occurredOn: '2021-10-05', round: 2 } as unknown as StoredStep['data'];
    const corrected: StoredStep = { eventId: 'e-1', step: 'round_held', data, original: data, corrections: [] };
    const withdrawn: StoredStep = { eventId: 'e-1', step: 'round_held', data, withdrawn: { eventId: 'e-9', reason: 'wrong agreement' } };
    // A text that is not the data's: only used when the step is the event's own, unchanged.
    const event = eventWith(data as unknown as Record<string, unknown>, '{"not":"used"}');
    expect(serializeStep(corrected, event)).toBe(JSON.stringify(corrected));
    expect(serializeStep(withdrawn, event)).toBe(JSON.stringify(withdrawn));
    const other: StoredStep = { eventId: 'e-2', step: 'round_held', data: { ...data } };
    expect(serializeStep(other, event)).toBe(JSON.stringify(other));
    expect(serializeStep(other)).toBe(JSON.stringify(other));
  });
});
