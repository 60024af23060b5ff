import { refuse, type DomainError } from '../shared/errors.js';
import { partialDate } from '../shared/partial-date.js';
import type { AgreementRegisteredData, StepData } from './events.js';
import { advance, snapshotOf, type MachineEvent, type MachinePosition } from './machine.js';
import type { RecordedStep } from './state.js';
import { foldTimeline } from './timeline.js';
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
 * The clock is a fact of the command: a step dated certainly after the day it is recorded on
 * (`today`, YYYY-MM-DD) has not happened yet, so it can only be planned or expected.
 */
export function futureViolation(step: StepName, data: StepData, today: string): DomainError | undefined {
  if (data.tentative === true || partialDate(data.occurredOn).start <= today) return undefined;
  return refuse.rule('FUTURE_STEP_NOT_TENTATIVE', `tentative: ${step} on ${data.occurredOn} is after today (${today}), so it must be recorded as tentative (planned or expected)`, {
    field: 'tentative',
    step,
    occurredOn: data.occurredOn,
    today,
  });
}

/**
 * Whether the world's timeline with `steps` is a possible lifecycle: undefined when it is, or why
 * not, naming the first step no order consistent with the dates can place and the step after
 * which it became impossible. Anomalies the stored history already has are not held against it.
 */
export function timelineViolation(registration: AgreementRegisteredData, steps: readonly RecordedStep[], known: ReadonlyArray<{ eventId: string }>): DomainError | undefined {
  const timeline = foldTimeline(registration, steps);
  const anomaly = timeline.anomalies.find((candidate) => !known.some((old) => old.eventId === candidate.eventId));
  if (!anomaly) return undefined;
  const index = timeline.order.findIndex((step) => step.eventId === anomaly.eventId);
  const step = timeline.order[index]!;
  const machine = timeline.before[index]!;
  const event: MachineEvent = { type: step.type, data: step.data };
  const { occurredOn } = step.data;
  // The step refused may be one recorded before, which the new step (or the change) displaced.
  const subject = step.eventId === PENDING ? `${step.step} on ${occurredOn} cannot be recorded` : `the timeline would be impossible: ${step.step} on ${occurredOn}, recorded before, could no longer stand`;
  if (step.data.round !== undefined && advance(machine, { ...event, data: { ...step.data, round: undefined } })) {
    const earlier = [...timeline.order.slice(0, index)].reverse().find((other) => other.step === 'round_held' && other.data.round !== undefined && other.data.round >= step.data.round!);
    return refuse.rule('ROUND_NOT_INCREASING', `round: ${subject}: it would follow round ${machine.context.lastRound}${earlier ? ` on ${earlier.data.occurredOn}` : ''}, and rounds are numbered in the order they were held`, {
      field: 'round',
      round: step.data.round,
      lastRound: machine.context.lastRound,
      ...(earlier ? { conflictsWith: conflictOf(earlier) } : {}),
    });
  }
  // The step after which it became impossible: the latest one before it in the world's order that it could still have followed.
  let conflict: RecordedStep | undefined;
  for (let at = index - 1; at >= 0; at--) {
    if (advance(timeline.before[at]!, event)) {
      conflict = timeline.order[at];
      break;
    }
  }
  const stateThen = machine.value.replaceAll('_', ' ');
  const why = conflict
    ? `in the world's order it comes after ${conflict.eventId === PENDING ? 'the ' : ''}${conflict.step} on ${conflict.data.occurredOn}${conflict.eventId === PENDING ? ' being recorded' : ''}, when the agreement is ${stateThen}`
    : `the agreement is ${stateThen}${bindingHint(step.step, machine.context.binding)}`;
  return refuse.conflict('ILLEGAL_STEP', `${subject}: ${why}`, {
    step: step.step,
    occurredOn,
    stateThen: machine.value,
    ...(conflict ? { conflictsWith: conflictOf(conflict) } : {}),
  });
}

/** The event id a step being decided carries until it is recorded. */
export const PENDING = 'pending';

/** The step a refusal names; the one being recorded has no event id yet. */
function conflictOf(step: RecordedStep) {
  return { ...(step.eventId === PENDING ? {} : { eventId: step.eventId }), step: step.step, occurredOn: step.data.occurredOn };
}

const BINDING_ONLY: readonly StepName[] = ['submitted_for_consent', 'consent_given', 'ratified', 'ratification_frozen', 'concluded', 'provisionally_applied', 'entered_into_force'];
const NON_BINDING_ONLY: readonly StepName[] = ['adopted', 'endorsed', 'launched', 'revised'];

function bindingHint(step: StepName, binding: boolean): string {
  if (!binding && BINDING_ONLY.includes(step)) return ' and not legally binding, so it is adopted, endorsed or launched instead';
  if (binding && NON_BINDING_ONLY.includes(step)) return ' and legally binding, so it is ratified and enters into force instead';
  return '';
}
