import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { agreementMachine, evolve, initialState, STEP_NAMES, STEPS, type MachineEvent, type RecordedEvent, type StepName } from '../../domain/agreement/index.js';
import { given, id, record, registered, step } from './given-when-then.js';

const on = (occurredOn: string) => ({ occurredOn });

/** For each step, a short history after which it is allowed, and where it leaves the agreement. */
const PATHS: Record<StepName, { before: ReturnType<typeof step>[]; binding?: boolean; then: string }> = {
  exploratory_talks_held: { before: [], then: 'exploring' },
  mandate_adopted: { before: [], then: 'mandated' },
  negotiations_opened: { before: [step('mandate_adopted', on('2019'))], then: 'negotiating' },
  round_held: { before: [step('negotiations_opened', on('2019'))], then: 'negotiating' },
  draft_exchanged: { before: [step('round_held', on('2019'))], then: 'negotiating' },
  negotiations_stalled: { before: [step('round_held', on('2019'))], then: 'negotiations_stalled' },
  negotiations_suspended: { before: [step('round_held', on('2019'))], then: 'negotiations_suspended' },
  referred_to_political_level: { before: [step('negotiations_stalled', on('2019'))], then: 'negotiations_stalled' },
  negotiations_relaunched: { before: [step('negotiations_stalled', on('2019'))], then: 'negotiating' },
  negotiations_concluded: { before: [step('round_held', on('2019'))], then: 'negotiations_concluded' },
  initialled: { before: [step('negotiations_concluded', on('2019'))], then: 'initialled' },
  signed: { before: [step('initialled', on('2019'))], then: 'signed' },
  submitted_for_consent: { before: [step('signed', on('2019'))], then: 'ratifying' },
  consent_given: { before: [step('submitted_for_consent', on('2019'))], then: 'ratifying' },
  ratified: { before: [step('signed', on('2019'))], then: 'ratifying' },
  ratification_frozen: { before: [step('signed', on('2019'))], then: 'ratification_frozen' },
  concluded: { before: [step('consent_given', on('2019'))], then: 'concluded' },
  provisionally_applied: { before: [step('signed', on('2019'))], then: 'provisionally_applied' },
  entered_into_force: { before: [step('concluded', on('2019'))], then: 'in_force' },
  suspension_announced: { before: [step('entered_into_force', on('2019'))], then: 'suspension_announced' },
  suspended: { before: [step('entered_into_force', on('2019'))], then: 'suspended' },
  resumed: { before: [step('entered_into_force', on('2019')), step('suspended', on('2019'))], then: 'in_force' },
  terminated: { before: [step('entered_into_force', on('2019'))], then: 'terminated' },
  superseded: { before: [step('entered_into_force', on('2019'))], then: 'superseded' },
  meeting_held: { before: [step('entered_into_force', on('2019'))], then: 'in_force' },
  adopted: { before: [], binding: false, then: 'in_place' },
  endorsed: { before: [step('adopted', on('2019'))], binding: false, then: 'in_place' },
  launched: { before: [step('signed', on('2019'))], binding: false, then: 'in_place' },
  revised: { before: [step('adopted', on('2005'))], binding: false, then: 'in_place' },
};

describe('every step of the lifecycle', () => {
  it('has a path in this test for each step in the vocabulary', () => {
    expect(Object.keys(PATHS).sort()).toEqual([...STEP_NAMES].sort());
  });

  it.each(STEP_NAMES)('records %s as its past-tense event and moves the agreement on', (name) => {
    const path = PATHS[name];
    const extra = name === 'meeting_held' ? { body: 'Joint Readmission Committee' } : {};
    const history = given(registered({ binding: path.binding ?? true }), ...path.before);
    const after = history.when(record(name, { occurredOn: '2020-05', ...extra })).then(step(name, { occurredOn: '2020-05', ...extra }));
    expect(after.lifecycle()).toBe(path.then);
    expect(STEPS[name].type).toMatch(/^[A-Z][A-Za-z]+$/);
  });
});

describe('sparse histories: earlier steps may be unknown', () => {
  it('accepts entry into force straight after registration (EU-Belarus readmission: final round, texts agreed, in force)', () => {
    given(registered())
      .when(record('round_held', { occurredOn: '2019-03-26', round: 6 }))
      .then(step('round_held', { occurredOn: '2019-03-26', round: 6 }))
      .when(record('entered_into_force', on('2020-07-01')))
      .then(step('entered_into_force', on('2020-07-01')));
  });
});

describe('the lifecycle never runs backwards', () => {
  it('refuses a negotiation round after signature, naming the state and the allowed steps', () => {
    const error = given(registered(), step('signed', on('2019-05')))
      .when(record('round_held', { occurredOn: '2019-06', round: 3 }))
      .thenRefused('ILLEGAL_STEP', { currentState: 'signed', step: 'round_held' });
    expect(error.details.allowedSteps).toEqual(expect.arrayContaining(['signed', 'ratified', 'entered_into_force', 'terminated']));
    expect(error.details.allowedSteps).not.toContain('round_held');
    expect(error.message).toContain('signed');
  });

  it('refuses a negotiation round after entry into force', () => {
    given(registered(), step('entered_into_force', on('2014-12-01')))
      .when(record('round_held', on('2015')))
      .thenRefused('ILLEGAL_STEP', { currentState: 'in_force' });
  });

  it.each(['signed', 'initialled'] as const)('refuses %s on a terminated agreement', (name) => {
    given(registered(), step('entered_into_force', on('2010')), step('terminated', on('2015')))
      .when(record(name, on('2016')))
      .thenRefused('ILLEGAL_STEP', { currentState: 'terminated', allowedSteps: [] });
  });

  it('refuses every step after termination', () => {
    const history = given(registered(), step('terminated', on('2015')));
    for (const name of STEP_NAMES) {
      const extra = name === 'meeting_held' ? { body: 'Joint Committee' } : {};
      history.when(record(name, { occurredOn: '2016', ...extra })).thenRefused('ILLEGAL_STEP', { currentState: 'terminated' });
    }
  });

  it.each(['suspension_announced', 'suspended', 'resumed'] as const)('refuses %s for an agreement not in force', (name) => {
    given(registered(), step('signed', on('2019'))).when(record(name, on('2020'))).thenRefused('ILLEGAL_STEP', { currentState: 'signed' });
  });

  it('refuses to resume an agreement that is only announced for suspension, not suspended', () => {
    given(registered(), step('entered_into_force', on('2020-07-01')), step('suspension_announced', { occurredOn: '2021-06-28', party: 'Belarus' }))
      .when(record('resumed', on('2021-07')))
      .thenRefused('ILLEGAL_STEP', { currentState: 'suspension_announced' });
  });

  it.each(['ratified', 'entered_into_force', 'consent_given', 'provisionally_applied'] as const)(
    'refuses %s for a non-binding instrument, and says what such instruments do instead',
    (name) => {
      const error = given(registered({ kind: 'mobility_partnership', binding: false }), step('signed', on('2016-10-13')))
        .when(record(name, on('2017')))
        .thenRefused('ILLEGAL_STEP', { currentState: 'signed' });
      expect(error.message).toContain('adopted, endorsed or launched');
    },
  );

  it('refuses adoption, endorsement or launch for a binding agreement', () => {
    given(registered()).when(record('launched', on('2017'))).thenRefused('ILLEGAL_STEP');
  });

  it('refuses a round number lower than or equal to one already recorded, as a rule with both numbers', () => {
    const history = given(registered(), step('round_held', { occurredOn: '2021-02-18', round: 7 }));
    history.when(record('round_held', { occurredOn: '2021-02-25', round: 7 })).thenRefused('ROUND_NOT_INCREASING', { round: 7, lastRound: 7 });
    history.when(record('round_held', { occurredOn: '2021-02-25', round: 5 })).thenRefused('ROUND_NOT_INCREASING', { round: 5, lastRound: 7 });
    history.when(record('round_held', { occurredOn: '2021-02-25', round: 8 })).then(step('round_held', { occurredOn: '2021-02-25', round: 8 }));
    history.when(record('round_held', { occurredOn: '2021-02-25' })).then(step('round_held', { occurredOn: '2021-02-25' }));
  });
});

describe('chronology, three-valued', () => {
  it('refuses a step no order of the dates can fit, naming the step it conflicts with and both dates', () => {
    const error = given(registered(), step('negotiations_concluded', on('2020-07-24')))
      .when(record('signed', on('2020-03')))
      .thenRefused('ILLEGAL_STEP', { step: 'negotiations_concluded', occurredOn: '2020-07-24', conflictsWith: { step: 'signed', occurredOn: '2020-03' }, currentState: 'negotiations_concluded' });
    expect(error.message).toContain('2020-03');
    expect(error.message).toContain('2020-07-24');
  });

  it('accepts dates that overlap: "2018" after a round on 19-20 November 2018 (Nigeria)', () => {
    given(registered(), step('round_held', { occurredOn: '2018-11-19/2018-11-20', round: 5 }))
      .when(record('negotiations_stalled', on('2018')))
      .then(step('negotiations_stalled', on('2018')));
  });

  it('refuses a round numbered after a round it is dated certainly before', () => {
    given(registered(), step('round_held', { occurredOn: '2021-02-18', round: 7 }))
      .when(record('round_held', { occurredOn: '2021-01', round: 8 }))
      .thenRefused('ROUND_NOT_INCREASING', { round: 7, lastRound: 8 });
  });

  it('holds a new cycle to the step that opened it: rounds after a relaunch, a suspension after a resumption', () => {
    given(registered(), step('negotiations_stalled', on('2018')), step('negotiations_relaunched', on('2020-11-18')))
      .when(record('round_held', on('2019-05')))
      .thenRefused('ILLEGAL_STEP', { step: 'round_held', stateThen: 'negotiations_stalled', conflictsWith: { step: 'negotiations_stalled', occurredOn: '2018' } });
    given(registered(), step('entered_into_force', on('2010')), step('suspended', on('2014')), step('resumed', on('2016')))
      .when(record('suspended', on('2015-06')))
      .thenRefused('ILLEGAL_STEP', { step: 'suspended', occurredOn: '2015-06', stateThen: 'suspended', conflictsWith: { step: 'suspended', occurredOn: '2014', eventId: id(2) } });
  });

  it('says where the agreement stands and what may come next on every refusal', () => {
    given(registered(), step('round_held', { occurredOn: '2021-02-18', round: 7 }))
      .when(record('round_held', { occurredOn: '2021-02-25', round: 7 }))
      .thenRefused('ROUND_NOT_INCREASING', { currentState: 'negotiating', allowedSteps: expect.arrayContaining(['round_held', 'signed']) });
  });

  it('does not hold meetings to the lifecycle order', () => {
    given(registered(), step('entered_into_force', on('2014-12-01')))
      .when(record('meeting_held', { occurredOn: '2010', body: 'Joint Committee' }))
      .then(step('meeting_held', { occurredOn: '2010', body: 'Joint Committee' }));
  });
});

describe('reversible states are real states', () => {
  it('stalls and relaunches negotiations, rounds resuming after the relaunch (Nigeria)', () => {
    const relaunched = given(registered(), step('round_held', { occurredOn: '2018-11-19/2018-11-20', round: 5 }), step('negotiations_stalled', on('2018')));
    expect(relaunched.lifecycle()).toBe('negotiations_stalled');
    relaunched.when(record('round_held', { occurredOn: '2021-01-28', round: 6 })).thenRefused('ILLEGAL_STEP', { currentState: 'negotiations_stalled' });
    relaunched
      .when(record('negotiations_relaunched', on('2020-11-18')))
      .then(step('negotiations_relaunched', on('2020-11-18')))
      .when(record('round_held', { occurredOn: '2021-01-28', round: 6 }))
      .then(step('round_held', { occurredOn: '2021-01-28', round: 6 }));
  });

  it('lets texts be agreed or signed after a stall (the relaunch went unrecorded), but not more rounds', () => {
    const stalled = given(registered(), step('round_held', { occurredOn: '2017', round: 3 }), step('negotiations_stalled', on('2018')));
    stalled.when(record('signed', on('2021-05'))).then(step('signed', on('2021-05')));
    stalled.when(record('negotiations_concluded', on('2021'))).then(step('negotiations_concluded', on('2021')));
    stalled.when(record('round_held', on('2021'))).thenRefused('ILLEGAL_STEP', { currentState: 'negotiations_stalled' });
  });

  it('freezes ratification and lets a later ratification step thaw it (EU-Belarus PCA, frozen since 1997)', () => {
    const frozen = given(registered({ kind: 'partnership_cooperation_agreement' }), step('signed', on('1995')), step('ratification_frozen', on('1997')));
    expect(frozen.lifecycle()).toBe('ratification_frozen');
    const after = frozen.when(record('ratified', { occurredOn: '2025', party: 'EU' })).then(step('ratified', { occurredOn: '2025', party: 'EU' }));
    expect(after.lifecycle()).toBe('ratifying');
  });

  it('applies provisionally, keeps ratifying meanwhile, then enters into force (EU-Armenia CEPA)', () => {
    const applied = given(registered({ kind: 'comprehensive_enhanced_partnership_agreement' }), step('signed', on('2017-11')), step('provisionally_applied', { occurredOn: '2018-06-01', scope: 'substantial parts' }));
    const ratifiedMeanwhile = applied.when(record('ratified', { occurredOn: '2019', party: 'a member state' })).then(step('ratified', { occurredOn: '2019', party: 'a member state' }));
    expect(ratifiedMeanwhile.lifecycle()).toBe('provisionally_applied');
    expect(ratifiedMeanwhile.when(record('entered_into_force', on('2021-03-01'))).then(step('entered_into_force', on('2021-03-01'))).lifecycle()).toBe('in_force');
  });

  it('enters into force in stages only when the earlier entry covered a part (EU-Turkey readmission)', () => {
    const firstStage = given(registered(), step('signed', on('2013-12-16')), step('entered_into_force', { occurredOn: '2014-10', scope: 'readmission of Turkish nationals' }));
    firstStage
      .when(record('entered_into_force', { occurredOn: '2016-06-01', scope: 'readmission of third-country nationals' }))
      .then(step('entered_into_force', { occurredOn: '2016-06-01', scope: 'readmission of third-country nationals' }));
    given(registered(), step('entered_into_force', on('2014-10'))).when(record('entered_into_force', on('2016-06-01'))).thenRefused('ILLEGAL_STEP');
  });

  it('suspends and resumes back to where the agreement was: provisional application stays provisional', () => {
    const suspended = given(registered(), step('provisionally_applied', on('2018')), step('suspended', on('2020')));
    expect(suspended.when(record('resumed', on('2021'))).then(step('resumed', on('2021'))).lifecycle()).toBe('provisionally_applied');
  });
});

describe('tentative steps', () => {
  it('records a planned step without moving the lifecycle on it, and refuses one the lifecycle could not take', () => {
    const planned = given(registered(), step('submitted_for_consent', on('2021-07-14')), step('entered_into_force', { occurredOn: '2021-autumn', tentative: true }));
    expect(planned.lifecycle()).toBe('ratifying');
    expect(planned.state.steps).toHaveLength(2);
    given(registered(), step('terminated', on('2020'))).when(record('entered_into_force', { occurredOn: '2021-autumn', tentative: true })).thenRefused('ILLEGAL_STEP');
  });

  it('treats a planned meeting as tentative even when the caller did not say so', () => {
    given(registered(), step('entered_into_force', on('2014')))
      .when(record('meeting_held', { occurredOn: '2021-Q4', body: 'Joint Readmission Committee', meetingStatus: 'planned' }))
      .then(step('meeting_held', { occurredOn: '2021-Q4', body: 'Joint Readmission Committee', meetingStatus: 'planned', tentative: true }));
  });
});

describe('facts that belong to other steps', () => {
  it('refuses a round number on a signature and a meeting without its body', () => {
    given(registered()).when(record('signed', { occurredOn: '2020', round: 3 })).thenRefused('FIELD_NOT_APPLICABLE', { field: 'round' });
    given(registered(), step('entered_into_force', on('2014'))).when(record('meeting_held', on('2020'))).thenRefused('FIELD_REQUIRED', { field: 'body' });
  });
});

describe('the fold agrees with xstate', () => {
  it("ends where xstate's own transition() ends, state and context, also when the same state is folded twice", () => {
    const events = [
      registered(),
      step('round_held', { occurredOn: '2018-11-19/2018-11-20', round: 5 }),
      step('negotiations_stalled', { occurredOn: '2018' }),
      step('negotiations_relaunched', { occurredOn: '2020-11-18' }),
      step('round_held', { occurredOn: '2021-01-28', round: 6 }),
    ].map((event, index) => ({ ...event, id: id(index) }) as RecordedEvent);
    const folded = events.reduce(evolve, initialState);
    const snapshot = events.reduce((current, event) => transition(agreementMachine, current, event as unknown as MachineEvent)[0], initialTransition(agreementMachine)[0]);
    expect(folded.machine.value).toBe(snapshot.value);
    expect(folded.machine.context).toEqual(snapshot.context);
    // Folding the same earlier state again gives the same answer: nothing is kept between folds.
    const midway = events.slice(0, 3).reduce(evolve, initialState);
    expect(evolve(midway, events[3]!)).toEqual(evolve(midway, events[3]!));
    expect(evolve(midway, events[3]!).machine.value).toBe('negotiating');
    expect(midway.machine.value).toBe('negotiations_stalled');
  });
});

describe('the cold rebuild agrees with the event-by-event fold', () => {
  it('gives the same state for a history with every kind of move', () => {
    const history = given(
      registered(),
      step('round_held', { occurredOn: '2018-06-11/2018-06-12' }),
      step('round_held', { occurredOn: '2018-11-19/2018-11-20', round: 5 }),
      step('negotiations_stalled', on('2018')),
      step('negotiations_relaunched', on('2020-11-18')),
      step('round_held', { occurredOn: '2021-01-28', round: 6 }),
      step('negotiations_concluded', { occurredOn: '2022', tentative: true }),
    );
    const cold = history.rehydrated();
    expect(cold.machine.value).toEqual(history.state.machine.value);
    expect(cold.machine.context).toEqual(history.state.machine.context);
    expect(cold.steps).toEqual(history.state.steps);
  });
});
