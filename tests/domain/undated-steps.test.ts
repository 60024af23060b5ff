import { describe, expect, it } from 'vitest';
import { asOccurredBy, lifecycleState } from '../../domain/agreement/index.js';
import { partialDate } from '../../domain/shared/partial-date.js';
import { given, record, registered, step, TODAY } from './given-when-then.js';

const on = (occurredOn: string) => ({ occurredOn });
const by = (state: Parameters<typeof asOccurredBy>[0], day: string) => {
  const view = asOccurredBy(state, partialDate(day), TODAY);
  return { status: lifecycleState(view.state), possibleStatus: lifecycleState(view.possible), uncertain: view.uncertain.map((s) => s.step) };
};

describe('what the sources say without a date: bounds and unknown dates', () => {
  it('an agreement known only to be in force by 9 September 2015 is in force by that day, and only possibly before it', () => {
    const known = given(registered())
      .when(record('entered_into_force', on('../2015-09-09')))
      .then(step('entered_into_force', on('../2015-09-09')));
    expect(known.lifecycle()).toBe('in_force');
    expect(by(known.state, '2015-09-09')).toEqual({ status: 'in_force', possibleStatus: 'in_force', uncertain: [] });
    expect(by(known.state, '2015-09-08')).toEqual({ status: 'draft', possibleStatus: 'in_force', uncertain: ['entered_into_force'] });
    expect(by(known.state, '2015-09-10').status).toBe('in_force');
  });

  it('accepts an undated mandate learned late, before an opening dated 2016, and orders it first', () => {
    const mandated = given(registered(), step('negotiations_opened', on('2016-02')))
      .when(record('mandate_adopted', on('../..')))
      .then(step('mandate_adopted', on('../..')));
    expect(mandated.state.summary.firstFirm.mandate_adopted).toMatchObject({ occurredOn: '../..' });
    expect(mandated.state.summary.lastStep).toMatchObject({ step: 'negotiations_opened' });
    expect(mandated.rehydrated().summary).toEqual(mandated.state.summary);
  });

  it('accepts "a second round held before October 2018" after a third round of 2019', () => {
    given(registered(), step('negotiations_opened', on('2017')), step('round_held', { occurredOn: '2019-03', round: 3 }))
      .when(record('round_held', { occurredOn: '../2018-09', round: 2 }))
      .then(step('round_held', { occurredOn: '../2018-09', round: 2 }));
  });

  it('takes "put on hold after November 2016" as a stall that may have begun any day since', () => {
    const stalled = given(registered(), step('negotiations_opened', on('2016-02')))
      .when(record('negotiations_stalled', on('2016-11/..')))
      .then(step('negotiations_stalled', on('2016-11/..')));
    expect(stalled.lifecycle()).toBe('negotiations_stalled');
    // By the end of 2016 the stall may or may not have begun.
    expect(by(stalled.state, '2016-12-31')).toMatchObject({ status: 'negotiating', possibleStatus: 'negotiations_stalled' });
  });

  it('refuses a firm step that can only have happened after today, whatever its bound', () => {
    given(registered())
      .when(record('signed', on('2030/..')))
      .thenRefused('FUTURE_STEP_NOT_TENTATIVE', {});
  });
});
