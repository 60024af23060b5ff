import { describe, expect, it } from 'vitest';
import { asOccurredBy, lifecycleState } from '../../domain/agreement/index.js';
import { partialDate } from '../../domain/shared/partial-date.js';
import { given, record, registered, step } from './given-when-then.js';

const committee = 'Joint Readmission Committee';
const held = (occurredOn: string) => ({ occurredOn, body: committee, meetingStatus: 'held' as const });
const planned = (occurredOn: string) => ({ occurredOn, body: committee, meetingStatus: 'planned' as const, tentative: true });

describe('what is planned does not depend on the order the facts were learned in', () => {
  it('keeps the next committee meeting planned when an earlier meeting of the committee is learned after the plan', () => {
    const learnedLate = given(registered(), step('entered_into_force', { occurredOn: '2015-10-01' }), step('meeting_held', planned('2027-05')))
      .when(record('meeting_held', held('2019-05-14')))
      .then(step('meeting_held', held('2019-05-14')));
    const learnedFirst = given(registered(), step('entered_into_force', { occurredOn: '2015-10-01' }), step('meeting_held', held('2019-05-14')))
      .when(record('meeting_held', planned('2027-05')))
      .then(step('meeting_held', planned('2027-05')));
    expect(learnedLate.state.summary.planned).toMatchObject([{ step: 'meeting_held', occurredOn: '2027-05', body: committee }]);
    const withoutIds = (plans: typeof learnedLate.state.summary.planned) => plans.map(({ eventId: _id, ...plan }) => plan);
    expect(withoutIds(learnedFirst.state.summary.planned)).toEqual(withoutIds(learnedLate.state.summary.planned));
    expect(learnedLate.rehydrated().summary).toEqual(learnedLate.state.summary);
  });

  it('counts a plan that slipped as fulfilled by the step that came later', () => {
    const slipped = given(registered(), step('signed', { occurredOn: '2021-03-18' }), step('entered_into_force', { occurredOn: '2021-autumn', tentative: true }))
      .when(record('entered_into_force', { occurredOn: '2022-02-01' }))
      .then(step('entered_into_force', { occurredOn: '2022-02-01' }));
    expect(slipped.state.summary.planned).toEqual([]);
    expect(slipped.lifecycle()).toBe('in_force');
  });
});

describe('the world by a date keeps what is planned', () => {
  it('lists the entry into force expected after the date as planned, and counts only firm steps as later', () => {
    const signed = given(registered(), step('signed', { occurredOn: '2021-03-18' }), step('entered_into_force', { occurredOn: '2027-Q2', tentative: true }), step('signed', { occurredOn: '2027-01-05', party: 'Testland' }));
    const endOf2026 = asOccurredBy(signed.state, partialDate('2026-12-31'), '2027-06-01');
    expect(endOf2026.state.summary.planned).toMatchObject([{ step: 'entered_into_force', occurredOn: '2027-Q2' }]);
    expect(endOf2026).toMatchObject({ later: 1, uncertain: [] });
    expect(lifecycleState(endOf2026.state)).toBe('signed');
  });
});

describe('the world by a date counts a firm step by the day it was known', () => {
  it('counts a signature dated "2026" and known on 2 December 2026 as done by that day, not in mid-2026', () => {
    const signed = given(registered(), step('signed', { occurredOn: '2026' }));
    // Recorded as a fact on 2 December, it had happened by then, although "2026" runs to 31 December.
    const byToday = asOccurredBy(signed.state, partialDate('2026-12-02'), '2026-12-02');
    expect(lifecycleState(byToday.state)).toBe('signed');
    expect(byToday.uncertain).toEqual([]);
    // By the end of June it may or may not have happened: listed as uncertain, not counted.
    const byJune = asOccurredBy(signed.state, partialDate('2026-06-30'), '2026-12-02');
    expect(lifecycleState(byJune.state)).not.toBe('signed');
    expect(byJune.uncertain).toMatchObject([{ step: 'signed' }]);
  });
});
