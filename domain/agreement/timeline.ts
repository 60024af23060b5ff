import { partialDate, type PartialDate } from '../shared/partial-date.js';
import type { AgreementRegisteredData } from './events.js';
import { advance, initialPosition, type LifecycleState, type MachineEvent, type MachinePosition } from './machine.js';
import type { RecordedStep } from './state.js';
import { STEPS } from './steps.js';
import { mayBeFulfilled, type AgreementSummary } from './summary.js';

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
  /** The latest last day of any firm step: a step starting after it is certainly after them all. */
  maxEnd: string;
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
 * way to the next one it accepts (a round after a relaunch of the same year), and when that
 * strands a later step the other orders the dates allow are searched. A step no order can place
 * is an anomaly: `decide` refuses whatever would make one.
 */
export function foldTimeline(registration: AgreementRegisteredData, steps: readonly RecordedStep[]): Timeline {
  const start = registeredPosition(registration);
  const pending: Pending[] = [];
  steps.forEach((step, index) => {
    if (movesLifecycle(step)) pending.push(pendingOf(step, index));
  });
  const greedy = placeInTurn(start, [...pending]);
  if (greedy.anomalies.length === 0) return greedy;
  // A first choice can strand a later step (a stall on 2 January, a suspension "in 2000"): try the other orders the dates allow.
  return searchOrder(start, pending) ?? greedy;
}

/** Each step in turn, the first the machine accepts among those that may come next. */
function placeInTurn(start: MachinePosition, pending: Pending[]): Timeline {
  let machine = start;
  const order: RecordedStep[] = [];
  const before: MachinePosition[] = [];
  const anomalies: Anomaly[] = [];
  while (pending.length > 0) {
    const candidates = mayComeNext(pending);
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

/** The steps no other is certainly earlier than, in the order the world's timeline prefers them. */
function mayComeNext(pending: readonly Pending[]): Pending[] {
  let earliestEnd = pending[0]!.date.end;
  for (const candidate of pending) if (candidate.date.end < earliestEnd) earliestEnd = candidate.date.end;
  return pending.filter((candidate) => candidate.date.start <= earliestEnd).sort(byKey);
}

/**
 * Places a search may try before the timeline is taken as impossible: the first path again, and
 * some choices undone near where it failed. Steps that could go in either order (many rounds of
 * one year) would otherwise make an impossible timeline cost a search of all their orders.
 */
const searchBudget = (steps: number) => 2 * steps + 100;

/**
 * The first complete order in the timeline's preference that the dates allow and the machine
 * accepts (depth first, dead ends remembered), or undefined when there is none within the budget.
 */
function searchOrder(start: MachinePosition, all: readonly Pending[]): Timeline | undefined {
  const order: RecordedStep[] = [];
  const before: MachinePosition[] = [];
  const dead = new Set<string>();
  let budget = searchBudget(all.length);
  const visit = (machine: MachinePosition, pending: readonly Pending[]): MachinePosition | undefined => {
    if (pending.length === 0) return machine;
    const { binding, lastRound, partialEntryIntoForce, resumeTo } = machine.context;
    const key = `${machine.value}|${binding}|${lastRound}|${partialEntryIntoForce}|${resumeTo}|${pending.map((step) => step.index).join(',')}`;
    if (dead.has(key) || budget-- <= 0) return undefined;
    for (const candidate of mayComeNext(pending)) {
      if (budget <= 0) return undefined;
      const after = advance(machine, eventOf(candidate.step));
      if (!after) continue;
      order.push(candidate.step);
      before.push(machine);
      const end = visit(after, pending.filter((step) => step !== candidate));
      if (end) return end;
      order.pop();
      before.pop();
    }
    dead.add(key);
    return undefined;
  };
  const machine = visit(start, all);
  return machine ? { machine, anomalies: [], frontier: frontierOf(order), order, before } : undefined;
}

/**
 * The lifecycle after one more firm step that goes at the end of the world's order, without
 * looking at the others again; undefined when the step may belong earlier (fold the whole
 * timeline then). Its answer is the one `foldTimeline` gives over all the steps.
 */
export function extendTimeline(timeline: TimelineEnd & { summary: AgreementSummary }, step: RecordedStep): TimelineEnd | undefined {
  // A plan that a firm step folded already may fulfil needs every step of its kind: fold them all.
  if (!movesLifecycle(step)) return step.data.tentative && mayBeFulfilled(timeline.summary, step) ? undefined : timeline;
  if (timeline.anomalies.length > 0) return undefined;
  const { start, end } = partialDate(step.data.occurredOn);
  const rank = STEPS[step.step].rank ?? 0;
  const round = step.data.round ?? 0;
  const frontier = timeline.frontier;
  const certainlyLast = !frontier || start > frontier.maxEnd;
  if (!certainlyLast && (start < frontier.maxStart || keyIsAfter(frontier, rank, round, start))) return undefined;
  const machine = advance(timeline.machine, eventOf(step));
  const frontierAfter: Frontier = { maxStart: start, maxEnd: frontier && frontier.maxEnd > end ? frontier.maxEnd : end, rank, round, start };
  // Refused at the end, the step may still fit earlier: the whole timeline decides.
  if (!machine) return undefined;
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
  let maxEnd = '';
  for (const step of keyed) {
    if (step.date.start > maxStart) maxStart = step.date.start;
    if (step.date.end > maxEnd) maxEnd = step.date.end;
  }
  let greatest: Pending | undefined;
  for (const step of keyed) {
    if (step.date.end < maxStart) continue;
    if (!greatest || compareKeys({ rank: greatest.rank, round: greatest.round, start: greatest.date.start }, step) < 0) greatest = step;
  }
  return { maxStart, maxEnd, rank: greatest!.rank, round: greatest!.round, start: greatest!.date.start };
}

function eventOf(step: RecordedStep): MachineEvent {
  return step as unknown as MachineEvent;
}
