import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decide, evolve, initialState, lifecycleState, rehydrate, type AgreementState, type RecordedEvent,
} from '../../domain/agreement/index.js';
import { DomainError } from '../../domain/shared/errors.js';
import { recordingOrder, worldHistories, worldOrder, type HistoryStep, type WorldHistory } from './world-histories.js';

/** The day every command is decided on: after every firm step the histories hold. */
const TODAY = '2026-12-02';
const REGISTRATION_ID = '00000000-0000-4000-8000-000000000000';

/** The agreement after registering it and recording `steps` in that order, each through `decide` and `evolve`. */
function recordInOrder(history: WorldHistory, steps: readonly HistoryStep[]): { state: AgreementState; events: RecordedEvent[] } {
  const events: RecordedEvent[] = [];
  let state = initialState;
  const apply = (decided: ReturnType<typeof decide>, eventId: string) => {
    for (const event of decided) {
      const recorded = { ...event, id: eventId } as RecordedEvent;
      events.push(recorded);
      state = evolve(state, recorded);
    }
  };
  const { agreementId, title, kind, binding, parties } = history.registration;
  apply(decide({ type: 'RegisterAgreement', input: { agreementId, title, kind, binding, parties } }, state, TODAY), REGISTRATION_ID);
  for (const step of steps) {
    let decided;
    try {
      decided = decide({ type: 'RecordStep', step: step.step, data: step.data }, state, TODAY);
    } catch (error) {
      const why = error instanceof DomainError ? `${error.code}: ${error.message}` : String(error);
      throw new Error(`recording ${step.step} on ${step.data.occurredOn}${step.data.tentative ? ' (tentative)' : ''} after ${describeSteps(events)} was refused: ${why}`);
    }
    apply(decided, step.eventId);
  }
  return { state, events };
}

function describeSteps(events: readonly RecordedEvent[]): string {
  return events.map((event) => `${event.type} ${(event.data as { occurredOn?: string }).occurredOn ?? ''}`.trim()).join(', ');
}

/** What a reader of the agreement sees: its status, where the lifecycle stands, its summary, and no anomaly. */
const answer = (state: AgreementState) => ({ status: lifecycleState(state), machine: state.machine, summary: state.summary, anomalies: state.anomalies });

describe('the order steps are recorded in does not change what the ledger says about the world', () => {
  it('gives the same status, last step, latest firm step, milestones and plans for any recording order of a valid history', () => {
    const priorities = fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 24 });
    fc.assert(
      fc.property(worldHistories(TODAY), priorities, (history, shuffle) => {
        // Given a valid world history, recorded once as it happened and once in a random order
        const inWorldOrder = recordInOrder(history, worldOrder(history));
        const shuffled = recordInOrder(history, recordingOrder(history, shuffle));
        // Then every step is accepted both times, and the agreement reads the same
        expect(answer(shuffled.state)).toEqual(answer(inWorldOrder.state));
        expect(shuffled.state.anomalies).toEqual([]);
        // And a cold read of the shuffled stream agrees with the event-by-event fold
        expect(answer(rehydrate(shuffled.events))).toEqual(answer(shuffled.state));
      }),
      { numRuns: 200 },
    );
  });
});
