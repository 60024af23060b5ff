import { refuse, type DomainError } from '../shared/errors.js';
import { comparePartialDates, partialDate } from '../shared/partial-date.js';
import type { AgreementRegisteredData, StepData } from './events.js';
import { advance, initialPosition, snapshotOf, type MachineEvent, type MachinePosition } from './machine.js';
import { movesLifecycle, type RecordedStep } from './state.js';
import { STEP_NAMES, STEPS, type StepName } from './steps.js';

/** Which facts make sense on which step: a round number on a signature is a mistake worth refusing. */
const FIELDS_ONLY_ON: Partial<Record<keyof StepData, readonly StepName[]>> = {
  round: ['round_held'],
  meetingStatus: ['meeting_held'],
};

export function fieldRuleViolation(step: StepName, data: StepData): DomainError | undefined {
  for (const [field, steps] of Object.entries(FIELDS_ONLY_ON) as Array<[keyof StepData, readonly StepName[]]>) {
    if (data[field] !== undefined && !steps.includes(step)) {
      return refuse.invalid('FIELD_NOT_APPLICABLE', `${field}: only ${steps.join(', ')} may carry it, not ${step}`, { field, step });
    }
  }
  if (step === 'meeting_held' && data.body === undefined) {
    return refuse.invalid('FIELD_REQUIRED', 'body: a meeting names the body that met (e.g. Joint Readmission Committee)', { field: 'body', step });
  }
  if (data.meetingStatus === 'planned' && data.tentative === false) {
    return refuse.invalid('PLANNED_IS_TENTATIVE', 'tentative: a planned meeting cannot be recorded as a firm fact', { field: 'tentative', step });
  }
  return undefined;
}

/**
 * The steps the machine would accept now, as step names (a round without a number stands for any
 * round). It depends only on the state and the context flags the guards read, so it is remembered
 * per combination: every answer of the API carries it.
 */
export function allowedSteps(machine: MachinePosition): StepName[] {
  const { binding, partialEntryIntoForce, resumeTo } = machine.context;
  const key = `${machine.value}|${binding}|${partialEntryIntoForce}|${resumeTo}`;
  let allowed = ALLOWED.get(key);
  if (!allowed) {
    const snapshot = snapshotOf(machine);
    allowed = STEP_NAMES.filter((step) => snapshot.can({ type: STEPS[step].type, data: { occurredOn: '2000' } }));
    ALLOWED.set(key, allowed);
  }
  return [...allowed];
}
const ALLOWED = new Map<string, StepName[]>();

/**
 * Cycles: after a relaunch, negotiation goes round again; after a resumption, application does.
 * A step of the new cycle must follow the step that opened it, though its rank is lower.
 */
const OPENS_CYCLE: Partial<Record<StepName, StepName>> = {
  round_held: 'negotiations_relaunched',
  draft_exchanged: 'negotiations_relaunched',
  negotiations_stalled: 'negotiations_relaunched',
  negotiations_suspended: 'negotiations_relaunched',
  suspension_announced: 'resumed',
  suspended: 'resumed',
};

/**
 * Chronology, three-valued: a step is refused only when its date is certainly before the date of
 * an earlier-recorded firm step it must follow (lower rank, an earlier round, or the relaunch or
 * resumption that opened its cycle). Overlapping dates pass.
 */
export function chronologyViolation(step: StepName, data: StepData, earlier: readonly RecordedStep[]): DomainError | undefined {
  const rank = STEPS[step].rank;
  if (rank === null) return undefined;
  const date = partialDate(data.occurredOn);
  for (const prior of earlier) {
    if (!movesLifecycle(prior)) continue;
    const priorRank = STEPS[prior.step].rank;
    const mustFollow =
      priorRank !== null && (priorRank < rank || (step === 'round_held' && prior.step === 'round_held') || OPENS_CYCLE[step] === prior.step);
    if (!mustFollow) continue;
    if (comparePartialDates(date, partialDate(prior.data.occurredOn)) === 'before') {
      return refuse.rule(
        'CHRONOLOGY',
        `${step} on ${data.occurredOn} cannot come before ${prior.step} on ${prior.data.occurredOn}, which it follows`,
        { step, occurredOn: data.occurredOn, follows: { step: prior.step, occurredOn: prior.data.occurredOn, eventId: prior.eventId } },
      );
    }
  }
  return undefined;
}

/** Why the machine (xstate) refuses a step: a round number that does not increase, or the lifecycle itself. */
export function machineRefusal(machine: MachinePosition, step: StepName, data: StepData): DomainError | undefined {
  const event: MachineEvent = { type: STEPS[step].type, data };
  const snapshot = snapshotOf(machine);
  if (snapshot.can(event)) return undefined;
  const currentState = machine.value as string;
  if (data.round !== undefined && snapshot.can({ ...event, data: { ...data, round: undefined } })) {
    return refuse.rule('ROUND_NOT_INCREASING', `round: ${data.round} is not after round ${machine.context.lastRound}, already recorded`, {
      round: data.round,
      lastRound: machine.context.lastRound,
    });
  }
  const allowed = allowedSteps(machine);
  const why = bindingHint(step, machine.context.binding);
  return refuse.conflict('ILLEGAL_STEP', `${step} cannot be recorded: the agreement is ${currentState.replaceAll('_', ' ')}${why}`, {
    step,
    currentState,
    allowedSteps: allowed,
  });
}

const BINDING_ONLY: readonly StepName[] = ['submitted_for_consent', 'consent_given', 'ratified', 'ratification_frozen', 'concluded', 'provisionally_applied', 'entered_into_force'];
const NON_BINDING_ONLY: readonly StepName[] = ['adopted', 'endorsed', 'launched', 'revised'];

function bindingHint(step: StepName, binding: boolean): string {
  if (!binding && BINDING_ONLY.includes(step)) return ' and not legally binding, so it is adopted, endorsed or launched instead';
  if (binding && NON_BINDING_ONLY.includes(step)) return ' and legally binding, so it is ratified and enters into force instead';
  return '';
}

/**
 * Replays a whole (corrected) history through the rules a new step must pass, so that a
 * correction can never leave behind a history the machine would have refused.
 */
export function historyViolation(registration: AgreementRegisteredData, steps: readonly RecordedStep[]): DomainError | undefined {
  let machine = advance(initialPosition, { type: 'AgreementRegistered', data: registration })!;
  for (let index = 0; index < steps.length; index++) {
    const step = steps[index]!;
    if (step.withdrawn) continue;
    const problem =
      fieldRuleViolation(step.step, step.data) ??
      machineRefusal(machine, step.step, step.data) ??
      chronologyViolation(step.step, step.data, steps.slice(0, index));
    if (problem) return problem;
    if (movesLifecycle(step)) machine = advance(machine, { type: step.type, data: step.data })!;
  }
  return undefined;
}
