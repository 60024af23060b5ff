import type { AgreementRegisteredData, RecordedEvent, StepChanges, StepData } from './events.js';
import { initialPosition, type LifecycleState, type MachinePosition } from './machine.js';
import { STEP_BY_TYPE, STEPS, isStepEventType, type StepEventType, type StepName } from './steps.js';
import { addStep, emptySummary, summarize, type AgreementSummary } from './summary.js';
import { extendTimeline, foldTimeline, type Anomaly, type Frontier, type TimelineEnd } from './timeline.js';

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
  /** Every step in recorded order, corrections applied (withdrawn ones marked). */
  steps: readonly RecordedStep[];
  /** Where the lifecycle stands at the end of the world's order (see `foldTimeline`). */
  machine: MachinePosition;
  /** Stored steps no order of the world can place (a changed rule meeting an old history); should stay empty. */
  anomalies: readonly Anomaly[];
  frontier: Frontier | null;
  summary: AgreementSummary;
}

export const initialState: AgreementState = { registration: undefined, machine: initialPosition, steps: [], anomalies: [], frontier: null, summary: emptySummary };

export function lifecycleState(state: AgreementState): LifecycleState {
  return state.machine.value;
}

/**
 * The one fold: the agreement after one more event. A step that goes at the end of the world's
 * order moves the lifecycle on; any other (learned late, corrected, withdrawn) folds the whole
 * timeline again.
 */
export function evolve(state: AgreementState, event: RecordedEvent): AgreementState {
  if (event.type === 'AgreementRegistered') return refold(event.data, state.steps);
  if (isStepEventType(event.type)) {
    const step = stepOf(event);
    const steps = [...state.steps, step];
    const extended = state.registration ? extendTimeline(state, step) : undefined;
    if (!extended) return refold(state.registration, steps);
    return { ...state, ...extended, steps, summary: addStep(state.summary, step) };
  }
  const steps = [...state.steps];
  if (!applyCorrection(steps, event)) return state;
  return refold(state.registration, steps);
}

/**
 * An agreement from its whole stream (a cold read): the same result as folding `evolve`, in one
 * pass. Steps that go at the end of the world's order extend the timeline as they come, so a
 * history recorded in the world's order costs one step each; only a step that may belong earlier,
 * a correction or a withdrawal folds the timeline again, as `evolve` does.
 */
export function rehydrate(events: Iterable<RecordedEvent>): AgreementState {
  let registration: AgreementRegisteredData | undefined;
  const steps: RecordedStep[] = [];
  // The timeline of `steps` while it is known; undefined once it must be folded again.
  let folded: (TimelineEnd & { summary: AgreementSummary }) | undefined;
  for (const event of events) {
    if (event.type === 'AgreementRegistered') {
      registration = event.data;
      folded = undefined;
    } else if (isStepEventType(event.type)) {
      const step = stepOf(event);
      steps.push(step);
      if (!registration) continue;
      folded ??= refold(registration, steps.slice(0, -1));
      const extended = extendTimeline(folded, step);
      folded = extended ? { ...extended, summary: addStep(folded.summary, step) } : refold(registration, steps);
    } else if (applyCorrection(steps, event)) {
      folded = undefined;
    }
  }
  if (!registration) return { ...initialState, steps };
  if (!folded) return refold(registration, steps);
  return { registration, steps, machine: folded.machine, anomalies: folded.anomalies, frontier: folded.frontier, summary: folded.summary };
}

export function stepOf(event: RecordedEvent): RecordedStep {
  return newStep(event.id, event.type as StepEventType, event.data as StepData);
}

/** The agreement folded from its registration and its steps (in recorded order). */
export function refold(registration: AgreementRegisteredData | undefined, steps: readonly RecordedStep[]): AgreementState {
  if (!registration) return { ...initialState, steps };
  const { machine, anomalies, frontier, order } = foldTimeline(registration, steps);
  return { registration, steps, machine, anomalies, frontier, summary: summarize(steps, order) };
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

/** A step as read models keep it on disk: what cannot be derived (its type follows from its name; the original facts equal the effective ones until a correction). */
export interface StoredStep {
  eventId: string;
  step: StepName;
  data: StepData;
  /** Only when corrected. */
  original?: StepData;
  corrections?: RecordedStep['corrections'];
  withdrawn?: RecordedStep['withdrawn'];
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

export function restoreStep({ eventId, step, data, original, corrections, withdrawn }: StoredStep): RecordedStep {
  return { eventId, step, type: STEPS[step].type, data, original: original ?? data, corrections: corrections ?? [], ...(withdrawn ? { withdrawn } : {}) };
}
