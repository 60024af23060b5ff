import { partialDate, type PartialDate } from '../shared/partial-date.js';
import type { AgreementRegisteredData } from './events.js';
import { advance, initialPosition, type LifecycleState, type MachineEvent, type MachinePosition } from './machine.js';
import type { RecordedStep } from './state.js';
import { STEPS } from './steps.js';

/** A stored step the lifecycle cannot place anywhere in the world's order (an old history meeting a changed rule). */
export interface Anomaly {
  eventId: string;
  type: string;
  state: LifecycleState;
}

/**
 * What a later step must beat to go at the end of the world's order without the others being
 * looked at again: the latest first day of any firm step, and the ordering key of the last one.
 */
export interface Frontier {
  maxStart: string;
  rank: number;
  round: number;
  start: string;
}

/** The firm steps in the world's order, and where the lifecycle stands at the end of it. */
export interface Timeline {
  machine: MachinePosition;
  anomalies: Anomaly[];
  frontier: Frontier | null;
  /** Firm, not withdrawn steps, in the world's order. */
  order: RecordedStep[];
  /** Where the machine stood before each step of `order`. */
  before: MachinePosition[];
}

/** Where a timeline ends: all a fold keeps to place one more step without the others. */
export interface TimelineEnd {
  machine: MachinePosition;
  anomalies: readonly Anomaly[];
  frontier: Frontier | null;
}

/** Tentative steps ("tbc", "expected") are recorded and shown, but the lifecycle does not move on them. */
export function movesLifecycle(step: RecordedStep): boolean {
  return !step.withdrawn && !step.data.tentative;
}

export function registeredPosition(registration: AgreementRegisteredData): MachinePosition {
  return advance(initialPosition, { type: 'AgreementRegistered', data: registration })!;
}

interface Pending {
  step: RecordedStep;
  index: number;
  date: PartialDate;
  rank: number;
  round: number;
}

/**
 * Orders steps by when they occurred, not when they were recorded, and drives the lifecycle
 * through them. Partial dates give a partial order: a step goes only once no other is certainly
 * earlier. Among the steps that may come next, the lifecycle's rank decides, then the round
 * number, then the first day, then the recording order; a step the machine refuses there gives
 * way to the next one it accepts (a round after a relaunch of the same year). A step no order
 * can place is an anomaly: `decide` refuses whatever would make one.
 */
export function foldTimeline(registration: AgreementRegisteredData, steps: readonly RecordedStep[]): Timeline {
  let machine = registeredPosition(registration);
  const pending: Pending[] = [];
  steps.forEach((step, index) => {
    if (movesLifecycle(step)) pending.push(pendingOf(step, index));
  });
  const order: RecordedStep[] = [];
  const before: MachinePosition[] = [];
  const anomalies: Anomaly[] = [];
  while (pending.length > 0) {
    let earliestEnd = pending[0]!.date.end;
    for (const candidate of pending) if (candidate.date.end < earliestEnd) earliestEnd = candidate.date.end;
    const candidates = pending.filter((candidate) => candidate.date.start <= earliestEnd).sort(byKey);
    let chosen = candidates.find((candidate) => advance(machine, eventOf(candidate.step)) !== undefined);
    before.push(machine);
    if (chosen) machine = advance(machine, eventOf(chosen.step))!;
    else {
      chosen = candidates[0]!;
      anomalies.push({ eventId: chosen.step.eventId, type: chosen.step.type, state: machine.value });
    }
    pending.splice(pending.indexOf(chosen), 1);
    order.push(chosen.step);
  }
  return { machine, anomalies, frontier: frontierOf(order), order, before };
}

/**
 * The lifecycle after one more firm step that goes at the end of the world's order, without
 * looking at the others again; undefined when the step may belong earlier (fold the whole
 * timeline then). Its answer is the one `foldTimeline` gives over all the steps.
 */
export function extendTimeline(timeline: TimelineEnd, step: RecordedStep): TimelineEnd | undefined {
  if (!movesLifecycle(step)) return timeline;
  if (timeline.anomalies.length > 0) return undefined;
  const start = partialDate(step.data.occurredOn).start;
  const rank = STEPS[step.step].rank ?? 0;
  const round = step.data.round ?? 0;
  const frontier = timeline.frontier;
  if (frontier && (start < frontier.maxStart || keyIsAfter(frontier, rank, round, start))) return undefined;
  const machine = advance(timeline.machine, eventOf(step));
  const frontierAfter: Frontier = { maxStart: start, rank, round, start };
  if (!machine) return { machine: timeline.machine, anomalies: [{ eventId: step.eventId, type: step.type, state: timeline.machine.value }], frontier: frontierAfter };
  return { machine, anomalies: timeline.anomalies, frontier: frontierAfter };
}

/** Whether the frontier's key (rank, round, first day) is greater than the step's: the step may belong earlier. */
function keyIsAfter(frontier: Frontier, rank: number, round: number, start: string): boolean {
  if (frontier.rank !== rank) return frontier.rank > rank;
  if (frontier.round !== round) return frontier.round > round;
  return frontier.start > start;
}

function pendingOf(step: RecordedStep, index: number): Pending {
  return { step, index, date: partialDate(step.data.occurredOn), rank: STEPS[step.step].rank ?? 0, round: step.data.round ?? 0 };
}

function compareKeys(a: Pick<Pending, 'rank' | 'round'> & { start: string }, b: Pending): number {
  return a.rank - b.rank || a.round - b.round || (a.start < b.date.start ? -1 : a.start > b.date.start ? 1 : 0);
}

function byKey(a: Pending, b: Pending): number {
  return compareKeys({ rank: a.rank, round: a.round, start: a.date.start }, b) || a.index - b.index;
}

/**
 * The frontier of a timeline: a step starting on or after `maxStart` overlaps every step whose
 * date may reach `maxStart`, so it goes last when its key is at least the greatest of theirs.
 */
function frontierOf(order: readonly RecordedStep[]): Frontier | null {
  if (order.length === 0) return null;
  const keyed = order.map((step) => pendingOf(step, 0));
  let maxStart = '';
  for (const step of keyed) if (step.date.start > maxStart) maxStart = step.date.start;
  let greatest: Pending | undefined;
  for (const step of keyed) {
    if (step.date.end < maxStart) continue;
    if (!greatest || compareKeys({ rank: greatest.rank, round: greatest.round, start: greatest.date.start }, step) < 0) greatest = step;
  }
  return { maxStart, rank: greatest!.rank, round: greatest!.round, start: greatest!.date.start };
}

function eventOf(step: RecordedStep): MachineEvent {
  return step as unknown as MachineEvent;
}
