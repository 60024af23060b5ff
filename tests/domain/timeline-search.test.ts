import { describe, expect, it } from 'vitest';
import { given, record, registered, step } from './given-when-then.js';

const on = (occurredOn: string) => ({ occurredOn });

describe('a step is accepted whenever some order the dates allow is a possible lifecycle', () => {
  it('accepts a suspension "in the winter of 2000" after a stall on 4 January 2000: the stall came first', () => {
    // The suspension's first possible day is earlier, but suspended negotiations cannot then stall.
    const suspended = given(registered(), step('negotiations_opened', on('2000-01-03')), step('negotiations_stalled', on('2000-01-04')))
      .when(record('negotiations_suspended', on('2000-winter')))
      .then(step('negotiations_suspended', on('2000-winter')));
    expect(suspended.lifecycle()).toBe('negotiations_suspended');
    expect(suspended.rehydrated().machine).toEqual(suspended.state.machine);
  });

  it('accepts a ratification frozen in the winter of 2000 after a freeze and a resubmission in January', () => {
    // Frozen on 3 January, submitted again on 4 January: the winter freeze can only be the last step.
    const frozen = given(registered(), step('submitted_for_consent', on('2000-01-02')), step('ratification_frozen', on('2000-01-03')), step('submitted_for_consent', on('2000-01-04')))
      .when(record('ratification_frozen', on('2000-winter')))
      .then(step('ratification_frozen', on('2000-winter')));
    expect(frozen.lifecycle()).toBe('ratification_frozen');
    expect(frozen.state.summary.lastStep).toMatchObject({ step: 'ratification_frozen', occurredOn: '2000-winter' });
  });

  it('still refuses a round dated certainly after the signature, among many rounds of the same years', () => {
    const rounds = Array.from({ length: 60 }, (_, index) => step('round_held', on(String(2000 + Math.floor(index / 20)))));
    given(registered(), ...rounds, step('signed', on('2003-06')))
      .when(record('round_held', on('2004')))
      .thenRefused('ILLEGAL_STEP', { step: 'round_held', stateThen: 'signed' });
  });
});
