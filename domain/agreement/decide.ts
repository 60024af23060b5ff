import { DomainError, refuse } from '../shared/errors.js';
import type { AgreementCommand, RegisterAgreementInput } from './commands.js';
import type { AgreementEvent, AgreementRegisteredData, StepData } from './events.js';
import { defaultBinding } from './kinds.js';
import { allowedSteps, fieldRuleViolation, futureViolation, PENDING, timelineViolation } from './rules.js';
import { applyChanges, lifecycleState, type AgreementState, type RecordedStep } from './state.js';
import { STEPS, type StepName } from './steps.js';
import { extendTimeline } from './timeline.js';

/**
 * Decides what a command means for an agreement as it stands: the events to record, or a
 * refusal that says why (DomainError). Pure: ids and actor come from the caller, and so does
 * `today` (YYYY-MM-DD), the day the command is recorded on.
 */
export function decide(command: AgreementCommand, state: AgreementState, today: string): AgreementEvent[] {
  if (command.type === 'RegisterAgreement') return [register(command.input, state)];
  try {
    return decideOnRegistered(command, state, today);
  } catch (error) {
    // Every refusal on an agreement says where it stands and what may happen next.
    if (error instanceof DomainError && state.registration) {
      throw new DomainError(error.kind, error.code, error.message, {
        currentState: lifecycleState(state),
        allowedSteps: allowedSteps(state.machine),
        ...error.details,
      });
    }
    throw error;
  }
}

function decideOnRegistered(command: Exclude<AgreementCommand, { type: 'RegisterAgreement' }>, state: AgreementState, today: string): AgreementEvent[] {
  const registration = state.registration;
  if (!registration) throw refuse.notFound('AGREEMENT_NOT_FOUND', 'no agreement is registered under this id');
  switch (command.type) {
    case 'RecordStep':
      return [recordStep(command.step, command.data, state, today)];
    case 'CorrectStep': {
      const target = findStep(state, command.input.eventId);
      const data = applyChanges(target.data, command.input.changes);
      const problem = fieldRuleViolation(target.step, data) ?? futureViolation(target.step, data, today);
      if (problem) throw problem;
      const corrected = state.steps.map((step) => (step === target ? { ...step, data } : step));
      assertHistoryHolds(state, corrected, 'correction');
      return [{ type: 'StepCorrected', data: { correctedEventId: target.eventId, changes: command.input.changes, reason: command.input.reason } }];
    }
    case 'WithdrawStep': {
      const target = findStep(state, command.input.eventId);
      const remaining = state.steps.map((step) => (step === target ? { ...step, withdrawn: { eventId: 'pending', reason: command.input.reason } } : step));
      assertHistoryHolds(state, remaining, 'withdrawal');
      return [{ type: 'StepWithdrawn', data: { withdrawnEventId: target.eventId, reason: command.input.reason } }];
    }
  }
}

function register(input: RegisterAgreementInput, state: AgreementState): AgreementEvent {
  if (state.registration) {
    throw refuse.conflict('AGREEMENT_EXISTS', `agreement ${input.agreementId} is already registered`, { agreementId: input.agreementId });
  }
  const binding = input.binding ?? defaultBinding(input.kind);
  if (binding === undefined) {
    throw refuse.invalid('BINDING_REQUIRED', `binding: ${input.kind} is not a known kind, so say whether it is legally binding`, { field: 'binding' });
  }
  const parties = new Set(input.parties.map((party) => party.toLowerCase()));
  if (parties.size !== input.parties.length) throw refuse.invalid('DUPLICATE_PARTY', 'parties: each party is named once', { field: 'parties' });
  const links = input.links ?? {};
  const self = [links.amends, links.supersedes, ...(links.negotiatedWith ?? [])].includes(input.agreementId);
  if (self) throw refuse.invalid('SELF_LINK', 'links: an agreement cannot amend, supersede or be negotiated with itself', { field: 'links' });
  const data: AgreementRegisteredData = { ...input, binding, links };
  return { type: 'AgreementRegistered', data };
}

function recordStep(step: StepName, input: StepData, state: AgreementState, today: string): AgreementEvent {
  // A planned meeting is not yet a fact: it is tentative whether or not the caller said so.
  const data: StepData = input.meetingStatus === 'planned' && input.tentative === undefined ? { ...input, tentative: true } : input;
  const type = STEPS[step].type;
  // A planned step is held to the timeline as if it happened: an entry into force expected after termination never can.
  const asFact = data.tentative ? { ...data, tentative: false } : data;
  const candidate: RecordedStep = { eventId: PENDING, step, type, data: asFact, original: asFact, corrections: [] };
  // A step that goes at the end of a sound timeline fits without folding the whole history again.
  const fitsAtEnd = state.anomalies.length === 0 && extendTimeline(state, candidate) !== undefined;
  const problem = fieldRuleViolation(step, data) ?? futureViolation(step, data, today) ?? (fitsAtEnd ? undefined : timelineViolation(state.registration!, [...state.steps, candidate], state.anomalies));
  if (problem) throw problem;
  return { type, data };
}

function findStep(state: AgreementState, eventId: string): RecordedStep {
  const target = state.steps.find((step) => step.eventId === eventId);
  if (!target) throw refuse.notFound('STEP_NOT_FOUND', `eventId: no step ${eventId} on this agreement`, { field: 'eventId' });
  if (target.withdrawn) throw refuse.conflict('STEP_WITHDRAWN', `eventId: step ${eventId} was withdrawn; record it anew instead`, { field: 'eventId' });
  return target;
}

/** A correction or a withdrawal is held to the rule a new step is: the world's timeline after it must be a possible lifecycle. */
function assertHistoryHolds(state: AgreementState, steps: RecordedStep[], what: string): void {
  const problem = timelineViolation(state.registration!, steps, state.anomalies);
  if (problem) {
    throw refuse.rule('CORRECTION_BREAKS_HISTORY', `the ${what} would leave a history the lifecycle refuses: ${problem.message}`, {
      cause: { code: problem.code, ...problem.details },
    });
  }
}
