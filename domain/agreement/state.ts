import type { AgreementRegisteredData, RecordedEvent, StepChanges, StepData } from './events.js';
import { advance, initialPosition, type LifecycleState, type MachineEvent, type MachinePosition } from './machine.js';
import { STEP_BY_TYPE, STEPS, isStepEventType, type StepEventType, type StepName } from './steps.js';

/** A recorded step with its corrections applied. The original facts stay beside the effective ones. */
export interface RecordedStep {
  eventId: string;
  step: StepName;
  type: StepEventType;
  /** The facts as they stand, corrections applied. */
  data: StepData;
  original: StepData;
  corrections: Array<{ eventId: string; changes: StepChanges; reason: string }>;
  withdrawn?: { eventId: string; reason: string };
}

export interface AgreementState {
  registration: AgreementRegisteredData | undefined;
  /** Where the machine stands after every firm, not withdrawn step, in recorded order, corrections applied. */
  machine: MachinePosition;
  steps: readonly RecordedStep[];
  /** Stored events the machine refuses today (a changed rule meeting an old history); should stay empty. */
  anomalies: ReadonlyArray<{ eventId: string; type: string; state: LifecycleState }>;
}

export const initialState: AgreementState = { registration: undefined, machine: initialPosition, steps: [], anomalies: [] };

export function lifecycleState(state: AgreementState): LifecycleState {
  return state.machine.value;
}

/** Tentative steps ("tbc", "expected") are recorded and shown, but the lifecycle does not move on them. */
export function movesLifecycle(step: RecordedStep): boolean {
  return !step.withdrawn && !step.data.tentative;
}

/**
 * Evolves by one event: what the command handler does after each decision and what read models
 * fold. The machine moves by `advance`, the table the xstate machine is built from.
 */
export function evolve(state: AgreementState, event: RecordedEvent): AgreementState {
  return evolveWith(state, event, (steps, step) => [...steps, step]);
}

/**
 * `evolve` for a caller that owns `state` and drops it for the result (a read model replacing its
 * document): the new step is appended to `state`'s own list instead of a copy, which a long
 * history would otherwise copy on every event. Same result; `state` must not be used afterwards.
 */
export function evolveConsuming(state: AgreementState, event: RecordedEvent): AgreementState {
  return evolveWith(state, event, appendInPlace);
}

const owned = new WeakSet<readonly RecordedStep[]>();

/** Appends in place to lists made here (never to the shared empty list, nor to one a caller passed in). */
function appendInPlace(steps: readonly RecordedStep[], step: RecordedStep): readonly RecordedStep[] {
  if (owned.has(steps)) {
    (steps as RecordedStep[]).push(step);
    return steps;
  }
  const copy = [...steps, step];
  owned.add(copy);
  return copy;
}

function evolveWith(state: AgreementState, event: RecordedEvent, append: (steps: readonly RecordedStep[], step: RecordedStep) => readonly RecordedStep[]): AgreementState {
  if (event.type === 'AgreementRegistered') {
    return { ...state, registration: event.data, machine: advance(state.machine, event) ?? state.machine };
  }
  if (isStepEventType(event.type)) {
    const step = stepOf(event);
    const steps = append(state.steps, step);
    const next = positionAfter(state.machine, step);
    if (next === state.machine) return { ...state, steps };
    if (!next) return { ...state, steps, anomalies: withAnomaly(state.anomalies, state.machine, step) };
    return { ...state, steps, machine: next };
  }
  const steps = state.steps.map((step) => step);
  if (!applyCorrection(steps, event)) return state;
  return refold(state.registration, steps);
}

/**
 * Rebuilds an agreement from its whole stream (a cold read). The same result as folding `evolve`,
 * but quicker: one mutable pass over the steps, then the machine moved once per step.
 */
export function rehydrate(events: Iterable<RecordedEvent>): AgreementState {
  let registration: AgreementRegisteredData | undefined;
  const steps: RecordedStep[] = [];
  for (const event of events) {
    if (event.type === 'AgreementRegistered') registration = event.data;
    else if (isStepEventType(event.type)) steps.push(newStep(event.id, event.type, event.data as StepData));
    else applyCorrection(steps, event);
  }
  return refold(registration, steps);
}

/**
 * One step event, for a fold that keeps an agreement's parts apart (the register: its steps are on
 * disk). `evolve` is made of the same three: the step, where the machine goes, the anomaly if it
 * refuses; a fold using them agrees with `evolve` without building a whole state per event.
 */
export function stepOf(event: RecordedEvent): RecordedStep {
  return newStep(event.id, event.type as StepEventType, event.data as StepData);
}

/** The machine's position after `step`: the same one for a step that does not move the lifecycle; undefined when the machine refuses it. */
export function positionAfter(machine: MachinePosition, step: RecordedStep): MachinePosition | undefined {
  // The step is its own machine event (it has the event's type and data): no object made per step.
  return movesLifecycle(step) ? advance(machine, step as MachineEvent) : machine;
}

/** The anomalies after the machine refused `step` at `machine`. */
export function withAnomaly(anomalies: AgreementState['anomalies'], machine: MachinePosition, step: RecordedStep): AgreementState['anomalies'] {
  return [...anomalies, { eventId: step.eventId, type: step.type, state: machine.value }];
}

/** The machine driven through the registration and every step that moves the lifecycle. */
export function refold(registration: AgreementRegisteredData | undefined, steps: RecordedStep[]): AgreementState {
  if (!registration) return { ...initialState, steps };
  let machine = advance(initialPosition, { type: 'AgreementRegistered', data: registration })!;
  const anomalies: Array<{ eventId: string; type: string; state: LifecycleState }> = [];
  for (const step of steps) {
    if (!movesLifecycle(step)) continue;
    const event: MachineEvent = { type: step.type, data: step.data };
    const next = advance(machine, event);
    if (next) machine = next;
    else anomalies.push({ eventId: step.eventId, type: step.type, state: machine.value });
  }
  return { registration, machine, steps, anomalies };
}

function newStep(eventId: string, type: StepEventType, data: StepData): RecordedStep {
  return { eventId, step: STEP_BY_TYPE[type], type, data, original: data, corrections: [] };
}

/** Replaces the corrected step in `steps` (a copy the caller owns). False when it points nowhere. */
function applyCorrection(steps: RecordedStep[], event: RecordedEvent): boolean {
  if (event.type === 'StepCorrected') {
    const index = steps.findIndex((step) => step.eventId === event.data.correctedEventId);
    if (index < 0) return false;
    const step = steps[index]!;
    steps[index] = {
      ...step,
      data: applyChanges(step.data, event.data.changes),
      corrections: [...step.corrections, { eventId: event.id, changes: event.data.changes, reason: event.data.reason }],
    };
    return true;
  }
  if (event.type === 'StepWithdrawn') {
    const index = steps.findIndex((step) => step.eventId === event.data.withdrawnEventId);
    if (index < 0) return false;
    steps[index] = { ...steps[index]!, withdrawn: { eventId: event.id, reason: event.data.reason } };
    return true;
  }
  return false;
}

export function applyChanges(data: StepData, changes: StepChanges): StepData {
  const next: Record<string, unknown> = { ...data };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete next[key];
    else if (value !== undefined) next[key] = value;
  }
  return next as StepData;
}

/**
 * Tentative steps still to come: those no firm step of the same kind (for meetings, of the same
 * body) was recorded after. An expected signature stops being "planned" once a signature is recorded.
 */
export function plannedSteps(state: AgreementState): RecordedStep[] {
  const kindOf = (step: RecordedStep) => (step.step === 'meeting_held' ? `${step.step}|${step.data.body ?? ''}` : step.step);
  return state.steps.filter(
    (step, index) =>
      !step.withdrawn && step.data.tentative === true && !state.steps.slice(index + 1).some((later) => movesLifecycle(later) && kindOf(later) === kindOf(step)),
  );
}

/**
 * An agreement's state as plain JSON, for read models that keep it on disk. Compact, because a
 * rebuild writes every document: a step stores what cannot be derived (its type follows from
 * its name; the original facts equal the effective ones until a correction).
 */
export interface StoredAgreementState {
  registration: AgreementRegisteredData | undefined;
  machine: MachinePosition;
  steps: StoredStep[];
  anomalies: AgreementState['anomalies'];
}

export interface StoredStep {
  eventId: string;
  step: StepName;
  data: StepData;
  /** Only when corrected. */
  original?: StepData;
  corrections?: RecordedStep['corrections'];
  withdrawn?: RecordedStep['withdrawn'];
}

export function storeState(state: AgreementState): StoredAgreementState {
  return {
    registration: state.registration,
    machine: state.machine,
    steps: state.steps.map(storeStep),
    anomalies: [...state.anomalies],
  };
}

export function storeStep({ eventId, step, data, original, corrections, withdrawn }: RecordedStep): StoredStep {
  const stored: StoredStep = { eventId, step, data };
  if (corrections.length > 0) {
    stored.original = original;
    stored.corrections = corrections;
  }
  if (withdrawn) stored.withdrawn = withdrawn;
  return stored;
}

/** Restores without replaying: the machine's position is plain data. */
export function restoreState(stored: StoredAgreementState): AgreementState {
  return { registration: stored.registration, machine: stored.machine, steps: stored.steps.map(restoreStep), anomalies: stored.anomalies };
}

export function restoreStep({ eventId, step, data, original, corrections, withdrawn }: StoredStep): RecordedStep {
  return { eventId, step, type: STEPS[step].type, data, original: original ?? data, corrections: corrections ?? [], ...(withdrawn ? { withdrawn } : {}) };
}
