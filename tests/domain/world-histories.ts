import fc from 'fast-check';
import {
  advance, registeredPosition, STEP_NAMES, STEPS,
  type AgreementRegisteredData, type MachinePosition, type StepData, type StepName,
} from '../../domain/agreement/index.js';
import { partialDate } from '../../domain/shared/partial-date.js';

/**
 * Random valid world histories of one agreement, and orders to record them in. A history is a walk
 * through the lifecycle machine on increasing days, each day then written as precisely as a source
 * might give it (a year, a season, a two-day meeting...). Plans are tentative steps: some announce a
 * firm step of the walk and are recorded before it; others are the next steps expected after it.
 */

export interface HistoryStep {
  /** Stable across recording orders, so summaries can be compared field by field. */
  eventId: string;
  step: StepName;
  data: StepData;
  /** Its place in the world: a plan stands where the step it announces does, an expected step after the walk. */
  at: number;
  /** For a plan that a later firm step fulfils: that step's index in `steps`. */
  fulfilledBy?: number;
}

export interface WorldHistory {
  registration: AgreementRegisteredData;
  steps: HistoryStep[];
}

const PRECISIONS = ['day', 'day', 'month', 'quarter', 'half', 'season', 'year', 'interval', 'on_or_before', 'on_or_after'] as const;
type Precision = (typeof PRECISIONS)[number];
const BODIES = ['Joint Readmission Committee', 'Joint Visa Facilitation Committee'];

const move = fc.record({
  pick: fc.nat({ max: 1000 }),
  gap: fc.integer({ min: 1, max: 500 }),
  precision: fc.constantFrom(...PRECISIONS),
  numbered: fc.boolean(),
  partial: fc.boolean(),
  announced: fc.option(fc.constantFrom(...PRECISIONS), { freq: 4 }),
});

/** Histories whose firm steps all happened by `today` (YYYY-MM-DD); plans may lie beyond it. */
export function worldHistories(today: string, agreementId = 'eu-testland-readmission'): fc.Arbitrary<WorldHistory> {
  return fc
    .record({
      binding: fc.boolean(),
      startDay: fc.integer({ min: 0, max: 365 * 25 }),
      walk: fc.array(move, { maxLength: 9 }),
      expected: fc.array(move, { maxLength: 2 }),
    })
    .map(({ binding, startDay, walk, expected }) => buildHistory(agreementId, today, binding, addDays('2000-01-01', startDay), walk, expected));
}

type Move = typeof move extends fc.Arbitrary<infer M> ? M : never;

function buildHistory(agreementId: string, today: string, binding: boolean, startDay: string, walk: Move[], expected: Move[]): WorldHistory {
  const registration: AgreementRegisteredData = binding
    ? { agreementId, title: 'EU-Testland Readmission Agreement', kind: 'readmission_agreement', binding: true, parties: ['EU', 'Testland'], links: {} }
    : { agreementId, title: 'EU-Testland Mobility Partnership', kind: 'mobility_partnership', binding: false, parties: ['EU', 'Testland'], links: {} };
  const steps: HistoryStep[] = [];
  const dates = new DatePicker();
  let position = registeredPosition(registration);
  let day = startDay;
  let at = 0;
  for (const next of walk) {
    day = addDays(day, next.gap);
    if (day > today) break;
    const chosen = nextStep(position, next);
    if (!chosen) break;
    position = chosen.position;
    at += 2;
    if (next.announced) {
      const plan = { ...chosen.data, ...(chosen.step === 'meeting_held' ? { meetingStatus: 'planned' as const } : {}), tentative: true };
      steps.push({ eventId: '', step: chosen.step, data: { ...plan, occurredOn: dates.plan(day, next.announced) }, at: at - 1, fulfilledBy: steps.length + 1 });
    }
    steps.push({ eventId: '', step: chosen.step, data: { ...chosen.data, occurredOn: dates.firm(chosen.step, chosen.data.round, day, next.precision) }, at });
  }
  // Each expected step could follow the walk's end on its own: tentative steps do not move the lifecycle.
  for (const next of expected) {
    day = addDays(day, next.gap);
    const chosen = nextStep(position, next);
    if (!chosen) break;
    const data = { ...chosen.data, ...(chosen.step === 'meeting_held' ? { meetingStatus: 'planned' as const } : {}), tentative: true };
    steps.push({ eventId: '', step: chosen.step, data: { ...data, occurredOn: dates.plan(day, next.precision) }, at: ++at + 1000 });
  }
  steps.forEach((step, index) => (step.eventId = `00000000-0000-4000-8000-${String(index + 1).padStart(12, '0')}`));
  return { registration, steps };
}

/** One step the machine takes from `position`, chosen by the move among all it accepts. */
function nextStep(position: MachinePosition, next: Move): { step: StepName; data: StepData; position: MachinePosition } | undefined {
  const options = STEP_NAMES.flatMap((step) => {
    const data = dataFor(step, position, next);
    const after = advance(position, { type: STEPS[step].type, data });
    return after ? [{ step, data, position: after }] : [];
  });
  return options.length === 0 ? undefined : options[next.pick % options.length];
}

function dataFor(step: StepName, position: MachinePosition, next: Move): StepData {
  const placeholder = { occurredOn: '2000' };
  if (step === 'round_held' && next.numbered) return { ...placeholder, round: (position.context.lastRound ?? 0) + 1 + (next.pick % 2) };
  if (step === 'entered_into_force' && next.partial) return { ...placeholder, scope: 'the provisions on third-country nationals' };
  if (step === 'meeting_held') return { ...placeholder, body: BODIES[next.pick % BODIES.length]!, meetingStatus: 'held' };
  return placeholder;
}

/**
 * Dates as precise as the move says, unless that would tie two steps on every key the world's
 * order uses (rank, round, first day): only the recording order could tell those apart, and the
 * property is about everything else. A tie falls back to the day itself, which is unique.
 */
class DatePicker {
  private readonly firmKeys = new Set<string>();
  private readonly planStarts = new Set<string>();

  firm(step: StepName, round: number | undefined, day: string, precision: Precision): string {
    const keyOf = (text: string) => `${STEPS[step].rank ?? 0}|${round ?? 0}|${partialDate(text).start}`;
    let text = writeDay(day, precision);
    if (this.firmKeys.has(keyOf(text))) text = day;
    this.firmKeys.add(keyOf(text));
    return text;
  }

  plan(day: string, precision: Precision): string {
    let text = writeDay(day, precision);
    if (this.planStarts.has(partialDate(text).start)) text = day;
    this.planStarts.add(partialDate(text).start);
    return text;
  }
}

/** A partial date of the given precision that contains `day`. */
function writeDay(day: string, precision: Precision): string {
  const [year, month] = [day.slice(0, 4), Number(day.slice(5, 7))];
  switch (precision) {
    case 'day':
      return day;
    case 'month':
      return day.slice(0, 7);
    case 'quarter':
      return `${year}-Q${Math.ceil(month / 3)}`;
    case 'half':
      return `${year}-H${month <= 6 ? 1 : 2}`;
    case 'season':
      // "Winter 2021" runs from January 2021 to February 2022, so it holds December 2021 too.
      return `${year}-${month >= 3 && month <= 5 ? 'spring' : month >= 6 && month <= 8 ? 'summer' : month >= 9 && month <= 11 ? 'autumn' : 'winter'}`;
    case 'year':
      return year;
    case 'interval':
      return `${day}/${addDays(day, 1)}`;
    case 'on_or_before':
      return `../${day}`;
    case 'on_or_after':
      return `${day}/..`;
  }
}

function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * The order to record a history in, from random priorities: the first step by priority that may
 * be recorded next. A step may be when the firm steps recorded so far and it (as a fact, if it is a
 * plan), in the world's order, are a lifecycle the machine accepts, and the rest can still follow;
 * a firm step comes after its plan. The ledger must then accept it: an order fitting the dates exists.
 */
export function recordingOrder(history: WorldHistory, priorities: readonly number[]): HistoryStep[] {
  const byPriority = history.steps.map((step, index) => ({ step, index, priority: priorities[index % priorities.length]! }));
  byPriority.sort((a, b) => a.priority - b.priority || a.index - b.index);
  const remaining = byPriority.map(({ step }) => step);
  const recorded: HistoryStep[] = [];
  while (remaining.length > 0) {
    const at = remaining.findIndex((candidate) => {
      const after = [...recorded, candidate];
      return mayComeNext(history, recorded, candidate) && canFinish(history, after, remaining.filter((step) => step !== candidate));
    });
    // The step next in the world's order always qualifies, so `at` is never -1.
    recorded.push(...remaining.splice(at, 1));
  }
  return recorded;
}

/** Whether the rest can be recorded one by one in the world's order: a step learned early can leave no other stranded. */
function canFinish(history: WorldHistory, recorded: readonly HistoryStep[], rest: readonly HistoryStep[]): boolean {
  const sofar = [...recorded];
  for (const step of [...rest].sort((a, b) => a.at - b.at)) {
    if (!mayComeNext(history, sofar, step)) return false;
    sofar.push(step);
  }
  return true;
}

function mayComeNext(history: WorldHistory, recorded: readonly HistoryStep[], candidate: HistoryStep): boolean {
  const plan = history.steps.find((step) => step.fulfilledBy !== undefined && history.steps[step.fulfilledBy] === candidate);
  if (plan && !recorded.includes(plan)) return false;
  const facts = [...recorded.filter((step) => !step.data.tentative), candidate].sort((a, b) => a.at - b.at);
  let position: MachinePosition | undefined = registeredPosition(history.registration);
  for (const fact of facts) {
    position = advance(position, { type: STEPS[fact.step].type, data: { ...fact.data, tentative: false } });
    if (!position) return false;
  }
  return true;
}

/** The world's order itself, each plan just before the step that fulfils it. */
export function worldOrder(history: WorldHistory): HistoryStep[] {
  return [...history.steps].sort((a, b) => a.at - b.at);
}
