import { describe, expect, it } from 'vitest';
import { transition } from 'xstate';
import {
  advance, agreementMachine, LIFECYCLE_STATES, snapshotOf, STEP_NAMES, STEPS, type MachineEvent, type MachinePosition,
} from '../../domain/agreement/index.js';

/**
 * Replays move the machine with `advance`, read off the rules table; decisions ask xstate. They
 * must never disagree, so this compares them on every state, every event and every combination
 * of what the guards and actions read: binding, last round, partial entry into force, where a
 * suspension resumes, a round lower, equal, higher or absent, a scope or none.
 */
const contexts: MachinePosition['context'][] = [];
for (const binding of [true, false]) {
  for (const lastRound of [null, 4]) {
    for (const partialEntryIntoForce of [false, true]) {
      for (const resumeTo of ['in_force', 'provisionally_applied', 'in_place'] as const) contexts.push({ binding, lastRound, partialEntryIntoForce, resumeTo });
    }
  }
}
const stepData = [{ occurredOn: '2020' }, { occurredOn: '2020', round: 3 }, { occurredOn: '2020', round: 4 }, { occurredOn: '2020', round: 5 }, { occurredOn: '2020', scope: 'visa provisions' }];
const events: MachineEvent[] = [
  { type: 'AgreementRegistered', data: { agreementId: 'eu-x', title: 'X', kind: 'readmission_agreement', binding: true, parties: ['EU', 'X'], links: {} } },
  { type: 'AgreementRegistered', data: { agreementId: 'eu-x', title: 'X', kind: 'mobility_partnership', binding: false, parties: ['EU', 'X'], links: {} } },
  ...STEP_NAMES.flatMap((step) => stepData.map((data) => ({ type: STEPS[step].type, data }) as MachineEvent)),
];

describe('advance() and the xstate machine', () => {
  it('agree on every state, event and guard outcome: accepted or refused, next state and next context', () => {
    let compared = 0;
    let accepted = 0;
    for (const value of LIFECYCLE_STATES) {
      for (const context of contexts) {
        const position: MachinePosition = { value, context };
        const snapshot = snapshotOf(position);
        for (const event of events) {
          const ours = advance(position, event);
          const theirs = snapshot.can(event) ? transition(agreementMachine, snapshot, event)[0] : undefined;
          const where = `${value} ${JSON.stringify(context)} ${event.type} ${JSON.stringify(event.data)}`;
          expect(ours === undefined, where).toBe(theirs === undefined);
          if (ours && theirs) {
            expect(ours.value, where).toBe(theirs.value);
            expect(ours.context, where).toEqual(theirs.context);
            accepted++;
          }
          compared++;
        }
      }
    }
    // The comparison covered the table: thousands of cases, both outcomes well represented.
    expect(compared).toBe(LIFECYCLE_STATES.length * contexts.length * events.length);
    expect(accepted).toBeGreaterThan(compared / 10);
    expect(compared - accepted).toBeGreaterThan(compared / 10);
  });
});
