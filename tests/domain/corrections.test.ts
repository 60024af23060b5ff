import { describe, expect, it } from 'vitest';
import type { AgreementEvent } from '../../domain/agreement/index.js';
import { given, id, record, registered, step } from './given-when-then.js';

const correct = (eventId: string, changes: Record<string, unknown>, reason = 'source re-read'): Parameters<ReturnType<typeof given>['when']>[0] =>
  ({ type: 'CorrectStep', input: { eventId, changes, reason } }) as never;
const withdraw = (eventId: string, reason = 'recorded on the wrong agreement'): Parameters<ReturnType<typeof given>['when']>[0] =>
  ({ type: 'WithdrawStep', input: { eventId, reason } }) as never;

const caboVerde = [
  registered({ agreementId: 'eu-cabo-verde-visa-facilitation-amendment', kind: 'visa_facilitation_agreement', parties: ['EU', 'Cabo Verde'] }),
  step('negotiations_concluded', { occurredOn: '2020-07-24' }),
  step('signed', { occurredOn: '2021-03-21', source: '004:67' }),
];

describe('corrections: history is never edited, a correction points at what it corrects', () => {
  it('corrects the Cabo Verde signature from 21 to 18 March 2021, keeping the original and the reason', () => {
    const corrected = given(...caboVerde)
      .when(correct(id(2), { occurredOn: '2021-03-18', source: '004:40' }, 'the narrative gives 18 March 2021'))
      .then({ type: 'StepCorrected', data: { correctedEventId: id(2), changes: { occurredOn: '2021-03-18', source: '004:40' }, reason: 'the narrative gives 18 March 2021' } });
    const signature = corrected.state.steps[1]!;
    expect(signature.data).toEqual({ occurredOn: '2021-03-18', source: '004:40' });
    expect(signature.original).toEqual({ occurredOn: '2021-03-21', source: '004:67' });
    expect(signature.corrections).toEqual([{ eventId: id(3), changes: { occurredOn: '2021-03-18', source: '004:40' }, reason: 'the narrative gives 18 March 2021' }]);
    expect(corrected.rehydrated().steps).toEqual(corrected.state.steps);
  });

  it('records a disputed date as alternatives with their sources', () => {
    given(...caboVerde.slice(0, 2))
      .when(record('signed', { occurredOn: '2021-03-18', source: '004:40', alternativeDates: [{ occurredOn: '2021-03-21', source: '004:67' }] }))
      .then(step('signed', { occurredOn: '2021-03-18', source: '004:40', alternativeDates: [{ occurredOn: '2021-03-21', source: '004:67' }] }));
  });

  it('removes a fact recorded wrongly when the change is null', () => {
    const corrected = given(registered(), step('signed', { occurredOn: '2020', party: 'Testland' })).when(correct(id(1), { party: null })).then(
      { type: 'StepCorrected', data: { correctedEventId: id(1), changes: { party: null }, reason: 'source re-read' } } as AgreementEvent,
    );
    expect(corrected.state.steps[0]!.data).toEqual({ occurredOn: '2020' });
  });

  it('refuses a correction that would make the history illegal, saying which rule it breaks', () => {
    const error = given(...caboVerde).when(correct(id(2), { occurredOn: '2019-12' })).thenRefused('CORRECTION_BREAKS_HISTORY');
    // Moved across the end of negotiations, the signature would come first in the world's order.
    expect(error.details.cause).toMatchObject({ code: 'ILLEGAL_STEP', step: 'negotiations_concluded', conflictsWith: { step: 'signed', occurredOn: '2019-12' } });
    given(registered(), step('round_held', { occurredOn: '2021-01', round: 6 }), step('round_held', { occurredOn: '2021-02', round: 7 }))
      .when(correct(id(2), { round: 6 }))
      .thenRefused('CORRECTION_BREAKS_HISTORY', { cause: { code: 'ROUND_NOT_INCREASING' } });
  });

  it('withdraws a step and computes the state without it', () => {
    const withdrawn = given(registered(), step('signed', { occurredOn: '2020' }), step('entered_into_force', { occurredOn: '2021' }))
      .when(withdraw(id(2)))
      .then({ type: 'StepWithdrawn', data: { withdrawnEventId: id(2), reason: 'recorded on the wrong agreement' } });
    expect(withdrawn.lifecycle()).toBe('signed');
    expect(withdrawn.state.steps[1]!.withdrawn).toEqual({ eventId: id(3), reason: 'recorded on the wrong agreement' });
    expect(withdrawn.rehydrated().machine.value).toBe('signed');
  });

  it('refuses to withdraw a step that later steps stand on', () => {
    given(registered(), step('entered_into_force', { occurredOn: '2014' }), step('suspended', { occurredOn: '2020' }))
      .when(withdraw(id(1)))
      .thenRefused('CORRECTION_BREAKS_HISTORY', { cause: { code: 'ILLEGAL_STEP' } });
  });

  it('refuses to correct a withdrawn step or a step that does not exist', () => {
    const history = given(registered(), step('signed', { occurredOn: '2020' }), { type: 'StepWithdrawn', data: { withdrawnEventId: id(1), reason: 'duplicate' } });
    history.when(correct(id(1), { occurredOn: '2019' })).thenRefused('STEP_WITHDRAWN');
    history.when(correct(id(99), { occurredOn: '2019' })).thenRefused('STEP_NOT_FOUND');
  });

  it('accepts corrections on a terminated agreement, where nothing else is accepted', () => {
    given(registered(), step('entered_into_force', { occurredOn: '2010' }), step('terminated', { occurredOn: '2015' }))
      .when(correct(id(2), { occurredOn: '2015-06' }))
      .then({ type: 'StepCorrected', data: { correctedEventId: id(2), changes: { occurredOn: '2015-06' }, reason: 'source re-read' } });
  });

  it('confirms a tentative step by correcting it, and the lifecycle then moves on it', () => {
    const planned = given(registered(), step('submitted_for_consent', { occurredOn: '2021-07-14' }), step('entered_into_force', { occurredOn: '2021-autumn', tentative: true }));
    expect(planned.lifecycle()).toBe('ratifying');
    const confirmed = planned.when(correct(id(2), { occurredOn: '2021-11-01', tentative: null }, 'entered into force')).then({
      type: 'StepCorrected',
      data: { correctedEventId: id(2), changes: { occurredOn: '2021-11-01', tentative: null }, reason: 'entered into force' },
    } as AgreementEvent);
    expect(confirmed.lifecycle()).toBe('in_force');
  });
});

describe('registration', () => {
  const register = (input: Record<string, unknown>) => ({ type: 'RegisterAgreement', input: { agreementId: 'eu-x-mp', title: 'EU-X', parties: ['EU', 'X'], ...input } }) as never;

  it('takes the binding default of a known kind: a mobility partnership is not binding', () => {
    const [event] = (() => {
      const history = given();
      return [history.when(register({ kind: 'mobility_partnership' }))];
    })();
    event!.then({ type: 'AgreementRegistered', data: { agreementId: 'eu-x-mp', title: 'EU-X', kind: 'mobility_partnership', binding: false, parties: ['EU', 'X'], links: {} } });
  });

  it('accepts a new kind only when it says whether it binds', () => {
    given().when(register({ kind: 'talent_partnership' })).thenRefused('BINDING_REQUIRED', { field: 'binding' });
    given().when(register({ kind: 'talent_partnership', binding: false })).then({
      type: 'AgreementRegistered',
      data: { agreementId: 'eu-x-mp', title: 'EU-X', kind: 'talent_partnership', binding: false, parties: ['EU', 'X'], links: {} },
    });
  });

  it('refuses a second registration, a party named twice and a link to itself', () => {
    given(registered()).when(register({ kind: 'mobility_partnership' })).thenRefused('AGREEMENT_EXISTS');
    given().when(register({ kind: 'mobility_partnership', parties: ['EU', 'eu'] })).thenRefused('DUPLICATE_PARTY');
    given().when(register({ kind: 'mobility_partnership', links: { amends: 'eu-x-mp' } })).thenRefused('SELF_LINK');
  });

  it('refuses steps on an agreement that was never registered', () => {
    given().when(record('signed', { occurredOn: '2020' })).thenRefused('AGREEMENT_NOT_FOUND');
  });
});
