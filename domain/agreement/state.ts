import { createActor, initialTransition, transition, type SnapshotFrom } from 'xstate';
import type { AgreementRegisteredData, RecordedEvent, StepChanges, StepData } from './events.js';
import { agreementMachine, type LifecycleState, type MachineEvent } from './machine.js';
import { STEP_BY_TYPE, isStepEventType, type StepEventType, type StepName } from './steps.js';

export type MachineSnapshot = SnapshotFrom<typeof agreementMachine>;

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
  /** The machine after every firm, not withdrawn step, in recorded order, corrections applied. */
  machine: MachineSnapshot;
  steps: readonly RecordedStep[];
  /** Stored events the machine refuses today (a changed rule meeting an old history); should stay empty. */
  anomalies: ReadonlyArray<{ eventId: string; type: string; state: LifecycleState }>;
}

export const initialMachine: MachineSnapshot = initialTransition(agreementMachine)[0];

export const initialState: AgreementState = { registration: undefined, machine: initialMachine, steps: [], anomalies: [] };

export function lifecycleState(state: AgreementState): LifecycleState {
  return state.machine.value as LifecycleState;
}

/** Tentative steps ("tbc", "expected") are recorded and shown, but the lifecycle does not move on them. */
export function movesLifecycle(step: RecordedStep): boolean {
  return !step.withdrawn && !step.data.tentative;
}

/** Evolves by one event: the pure path the command handler takes after each decision. */
export function evolve(state: AgreementState, event: RecordedEvent): AgreementState {
  return evolveAdvancing(state, event, pureAdvance);
}

/** Moves the machine one event on; `transition()` is the pure way, an actor the quick one. */
export type Advance = (snapshot: MachineSnapshot, event: MachineEvent) => MachineSnapshot;

const pureAdvance: Advance = (snapshot, event) => transition(agreementMachine, snapshot, event)[0];

/**
 * `evolve` with the machine step supplied by the caller. Read models that fold long logs pass an
 * actor-driven step (see `actorAdvance`), about a tenth of `transition()`'s cost per event; the
 * result is the same snapshot, so the fold stays a function of the events.
 */
export function evolveAdvancing(state: AgreementState, event: RecordedEvent, advance: Advance): AgreementState {
  if (event.type === 'AgreementRegistered') {
    return { ...state, registration: event.data, machine: advance(state.machine, event) };
  }
  if (isStepEventType(event.type)) {
    const step = newStep(event.id, event.type, event.data as StepData);
    const steps = [...state.steps, step];
    if (!movesLifecycle(step)) return { ...state, steps };
    const machineEvent: MachineEvent = { type: step.type, data: step.data };
    if (!state.machine.can(machineEvent)) {
      return { ...state, steps, anomalies: [...state.anomalies, { eventId: step.eventId, type: step.type, state: lifecycleState(state) }] };
    }
    return { ...state, steps, machine: advance(state.machine, machineEvent) };
  }
  const steps = state.steps.map((step) => step);
  if (!applyCorrection(steps, event)) return state;
  return refold(state.registration, steps);
}

/**
 * Rebuilds an agreement from its whole stream (a cold read). The same result as folding `evolve`,
 * but quicker: one mutable pass over the steps, then the machine driven by an actor, which costs
 * a fraction of what `transition()` costs per event.
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

/** The machine driven through the registration and every step that moves the lifecycle. */
export function refold(registration: AgreementRegisteredData | undefined, steps: RecordedStep[]): AgreementState {
  if (!registration) return { ...initialState, steps };
  const actor = createActor(agreementMachine).start();
  actor.send({ type: 'AgreementRegistered', data: registration });
  const anomalies: Array<{ eventId: string; type: string; state: LifecycleState }> = [];
  for (const step of steps) {
    if (!movesLifecycle(step)) continue;
    const machineEvent: MachineEvent = { type: step.type, data: step.data };
    const before = actor.getSnapshot();
    if (before.can(machineEvent)) actor.send(machineEvent);
    else anomalies.push({ eventId: step.eventId, type: step.type, state: before.value as LifecycleState });
  }
  const machine = actor.getSnapshot();
  actor.stop();
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

/** An agreement's state as plain JSON, for read models that keep it on disk. */
export interface StoredAgreementState {
  registration: AgreementRegisteredData | undefined;
  machine: { value: string; context: MachineSnapshot['context'] };
  steps: RecordedStep[];
  anomalies: AgreementState['anomalies'];
}

export function storeState(state: AgreementState): StoredAgreementState {
  return {
    registration: state.registration,
    machine: { value: state.machine.value as string, context: state.machine.context },
    steps: [...state.steps],
    anomalies: [...state.anomalies],
  };
}

/** Restores without replaying: xstate's `resolveState` rebuilds the snapshot from value and context. */
export function restoreState(stored: StoredAgreementState): AgreementState {
  return {
    registration: stored.registration,
    machine: agreementMachine.resolveState({ value: stored.machine.value, context: stored.machine.context }),
    steps: stored.steps,
    anomalies: stored.anomalies,
  };
}

const actors = new WeakMap<MachineSnapshot, ReturnType<typeof createActor<typeof agreementMachine>>>();

/**
 * An `Advance` that keeps one xstate actor per agreement alive between events: the actor that
 * produced a snapshot takes the next event. Given a snapshot no actor holds (a restored state, or
 * the same state folded twice), it starts one from that snapshot, so the answer never depends on
 * what was folded before.
 */
export const actorAdvance: Advance = (snapshot, event) => {
  let actor = actors.get(snapshot);
  if (actor) actors.delete(snapshot);
  else actor = createActor(agreementMachine, { snapshot }).start();
  actor.send(event);
  const next = actor.getSnapshot();
  actors.set(next, actor);
  return next;
};
