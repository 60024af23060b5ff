import { expect } from 'vitest';
import {
  decide, evolve, initialState, lifecycleState, rehydrate, STEPS,
  type AgreementCommand, type AgreementEvent, type AgreementState, type RecordedEvent, type StepData, type StepName,
} from '../../domain/agreement/index.js';
import { DomainError } from '../../domain/shared/errors.js';

/**
 * Given these events, when this command, then these events (or this refusal): decider tests that
 * read as the story they check. Event ids are made up in order: id(0), id(1), ...
 */
export const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

export const registered = (overrides: Partial<Extract<AgreementEvent, { type: 'AgreementRegistered' }>['data']> = {}): AgreementEvent => ({
  type: 'AgreementRegistered',
  data: { agreementId: 'eu-testland-readmission', title: 'EU-Testland Readmission Agreement', kind: 'readmission_agreement', binding: true, parties: ['EU', 'Testland'], links: {}, ...overrides },
});

export const step = (name: StepName, data: Partial<StepData> & { occurredOn: string }): AgreementEvent =>
  ({ type: STEPS[name].type, data }) as AgreementEvent;

export const record = (name: StepName, data: Partial<StepData> & { occurredOn: string }): AgreementCommand => ({ type: 'RecordStep', step: name, data });

/** The day commands are decided on unless a test says otherwise: after every date in the seeds. */
export const TODAY = '2026-12-02';

export function given(...events: AgreementEvent[]) {
  const recorded: RecordedEvent[] = events.map((event, index) => ({ ...event, id: id(index) }) as RecordedEvent);
  const state: AgreementState = recorded.reduce(evolve, initialState);
  return {
    state,
    /** The same history rebuilt the cold way; it must agree with the event-by-event fold. */
    rehydrated: () => rehydrate(recorded),
    /** `today`: the day the command is recorded on (the domain keeps no clock). */
    when(command: AgreementCommand, today = TODAY) {
      const attempt = () => decide(command, state, today);
      return {
        then(...expected: AgreementEvent[]) {
          expect(attempt()).toEqual(expected);
          return given(...events, ...expected);
        },
        thenRefused(code: string, details?: Record<string, unknown>) {
          let error: unknown;
          try {
            attempt();
          } catch (caught) {
            error = caught;
          }
          expect(error, `expected the command to be refused with ${code}`).toBeInstanceOf(DomainError);
          expect((error as DomainError).code).toBe(code);
          if (details) expect((error as DomainError).details).toMatchObject(details);
          return error as DomainError;
        },
      };
    },
    lifecycle: () => lifecycleState(state),
  };
}
