import { describe, expect, it } from 'vitest';
import { given, id, record, registered, step } from './given-when-then.js';

const on = (occurredOn: string) => ({ occurredOn });
const correct = (eventId: string, changes: Record<string, unknown>) => ({ type: 'CorrectStep', input: { eventId, changes, reason: 'source re-read' } }) as never;

describe("steps learned late take their place in the world's order", () => {
  it('accepts a signature dated 2014 recorded after the entry into force of 2015; the status stays in force', () => {
    const later = given(registered(), step('entered_into_force', on('2015-10-01')))
      .when(record('signed', on('2014-06-27')))
      .then(step('signed', on('2014-06-27')));
    expect(later.lifecycle()).toBe('in_force');
    expect(later.state.summary.lastStep).toMatchObject({ step: 'entered_into_force', occurredOn: '2015-10-01' });
    expect(later.state.summary.firstFirm.signed).toMatchObject({ occurredOn: '2014-06-27' });
    expect(later.rehydrated().summary).toEqual(later.state.summary);
  });

  it('accepts a round dated 2013 recorded after the signature and the entry into force', () => {
    given(registered(), step('signed', on('2014-06-27')), step('entered_into_force', on('2015-10-01')))
      .when(record('round_held', { occurredOn: '2013-03', round: 2 }))
      .then(step('round_held', { occurredOn: '2013-03', round: 2 }));
  });

  it('accepts round 2 of 2019 recorded after round 3 of 28 May 2019, and orders it first', () => {
    const rounds = given(registered(), step('round_held', { occurredOn: '2019-05-28', round: 3 }))
      .when(record('round_held', { occurredOn: '2019', round: 2 }))
      .then(step('round_held', { occurredOn: '2019', round: 2 }));
    expect(rounds.state.machine.context.lastRound).toBe(3);
    expect(rounds.state.summary.lastStep).toMatchObject({ eventId: id(1) });
  });

  it('orders steps whose partial dates overlap by their rank in the lifecycle', () => {
    const overlapping = given(registered(), step('entered_into_force', on('2015')))
      .when(record('signed', on('2015-03')))
      .then(step('signed', on('2015-03')));
    expect(overlapping.lifecycle()).toBe('in_force');
    expect(overlapping.state.summary.lastStep).toMatchObject({ step: 'entered_into_force' });
  });
});

describe('a step no order of the dates can fit is refused, naming the step it conflicts with', () => {
  it('refuses a round dated 2016 after a signature of 2015', () => {
    const error = given(registered(), step('signed', on('2015-06')))
      .when(record('round_held', on('2016')))
      .thenRefused('ILLEGAL_STEP', { step: 'round_held', occurredOn: '2016', stateThen: 'signed', currentState: 'signed', conflictsWith: { step: 'signed', occurredOn: '2015-06', eventId: id(1) } });
    expect(error.message).toContain('signed on 2015-06');
  });

  it('refuses a second entry into force of the whole agreement, whatever its date', () => {
    given(registered(), step('entered_into_force', on('2015-10-01')))
      .when(record('entered_into_force', on('2014')))
      .thenRefused('ILLEGAL_STEP', { step: 'entered_into_force' });
  });

  it('refuses a resumption dated before its suspension', () => {
    given(registered(), step('entered_into_force', on('2010')), step('suspended', on('2020-03')))
      .when(record('resumed', on('2019')))
      .thenRefused('ILLEGAL_STEP', { step: 'resumed', occurredOn: '2019', stateThen: 'in_force' });
  });
});

describe('a correction is held to the same rule as a new step', () => {
  it('accepts a date moved across another step when the lifecycle still holds', () => {
    const moved = given(registered(), step('signed', on('2021-03-18')), step('submitted_for_consent', on('2021-07-14')), step('ratified', on('2021-09')))
      .when(correct(id(2), { occurredOn: '2021-10' }))
      .then({ type: 'StepCorrected', data: { correctedEventId: id(2), changes: { occurredOn: '2021-10' }, reason: 'source re-read' } });
    expect(moved.lifecycle()).toBe('ratifying');
    expect(moved.state.summary.lastStep).toMatchObject({ step: 'submitted_for_consent', occurredOn: '2021-10' });
  });

  it('refuses a date moved across a step it cannot follow, naming it', () => {
    given(registered(), step('signed', on('2014-06-27')), step('entered_into_force', on('2015-10-01')))
      .when(correct(id(1), { occurredOn: '2016' }))
      .thenRefused('CORRECTION_BREAKS_HISTORY', { cause: { code: 'ILLEGAL_STEP', step: 'signed', conflictsWith: { step: 'entered_into_force', occurredOn: '2015-10-01' } } });
  });
});

describe('the clock is a fact of the command', () => {
  it('refuses a firm step dated after the day it is recorded on, and accepts it as tentative without moving the status', () => {
    const suspended = given(registered(), step('entered_into_force', on('2010')), step('suspended', on('2020')));
    suspended.when(record('resumed', on('2030-01-01')), '2026-12-02').thenRefused('FUTURE_STEP_NOT_TENTATIVE', { field: 'tentative', today: '2026-12-02' });
    const planned = suspended.when(record('resumed', { occurredOn: '2030-01-01', tentative: true }), '2026-12-02').then(step('resumed', { occurredOn: '2030-01-01', tentative: true }));
    expect(planned.lifecycle()).toBe('suspended');
    expect(planned.state.summary.planned).toMatchObject([{ step: 'resumed', occurredOn: '2030-01-01' }]);
  });

  it('accepts a step dated today, or in a period that has begun', () => {
    given(registered()).when(record('mandate_adopted', on('2026-12')), '2026-12-02').then(step('mandate_adopted', on('2026-12')));
  });
});
