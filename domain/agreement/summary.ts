import { partialDate } from '../shared/partial-date.js';
import type { RecordedStep } from './state.js';
import type { StepName } from './steps.js';

/** A step as summaries show it: corrections applied. */
export interface DatedStep {
  eventId: string;
  step: StepName;
  occurredOn: string;
  tentative: boolean;
  body?: string;
  location?: string;
  party?: string;
}

/**
 * What every answer reads of an agreement's steps: the register row, the agreement page, the
 * dashboards and the as-of answers. A handful of steps however long the history, so read models
 * keep it beside the lifecycle's position and the steps themselves stay on disk.
 */
export interface AgreementSummary {
  /** The last firm step in the world's order: what happened last. */
  lastStep: DatedStep | null;
  /** The firm step whose date may end latest, the first of equals in the world's order: what "stalled" counts from. */
  latestFirm: DatedStep | null;
  /** The first firm step of each name in the world's order: milestones and durations. */
  firstFirm: Partial<Record<StepName, DatedStep>>;
  /** Tentative steps no firm step fulfils (one of the same kind, not certainly earlier), by first possible day. */
  planned: DatedStep[];
}

export const emptySummary: AgreementSummary = { lastStep: null, latestFirm: null, firstFirm: {}, planned: [] };

export function datedStep(step: RecordedStep): DatedStep {
  const { occurredOn, tentative, body, location, party } = step.data;
  // Assigned, not spread: a rebuild makes one of these per event.
  const dated: DatedStep = { eventId: step.eventId, step: step.step, occurredOn, tentative: tentative === true };
  if (body !== undefined) dated.body = body;
  if (location !== undefined) dated.location = location;
  if (party !== undefined) dated.party = party;
  return dated;
}

/** Meetings are fulfilled by a meeting of the same body; other steps by a firm step of the same name. */
const kindOf = (step: DatedStep) => (step.step === 'meeting_held' ? `${step.step}|${step.body ?? ''}` : step.step);

/** The summary after a firm step placed last in the world's order. */
function addFirmInOrder(summary: AgreementSummary, firm: DatedStep): AgreementSummary {
  const latest = summary.latestFirm;
  return {
    lastStep: firm,
    latestFirm: !latest || partialDate(firm.occurredOn).end > partialDate(latest.occurredOn).end ? firm : latest,
    firstFirm: firm.step in summary.firstFirm ? summary.firstFirm : { ...summary.firstFirm, [firm.step]: firm },
    planned: summary.planned,
  };
}

/**
 * A firm step fulfils a plan of its kind unless it is certainly earlier (an earlier meeting of the
 * same committee is not the next one). Plans slip, so a later one fulfils it. Which was recorded
 * first plays no part: the order facts are learned in never changes what is planned.
 */
function fulfils(firm: DatedStep, plan: DatedStep): boolean {
  return kindOf(firm) === kindOf(plan) && partialDate(firm.occurredOn).end >= partialDate(plan.occurredOn).start;
}

/** A plan placed among the others by first possible day, after those of the same day. */
function withPlan(planned: DatedStep[], plan: DatedStep): DatedStep[] {
  const start = partialDate(plan.occurredOn).start;
  const at = planned.findIndex((p) => partialDate(p.occurredOn).start > start);
  return at < 0 ? [...planned, plan] : [...planned.slice(0, at), plan, ...planned.slice(at)];
}

/** Whether a firm step already folded may fulfil this plan: one may end on or after the plan's first day. */
export function mayBeFulfilled(summary: AgreementSummary, plan: RecordedStep): boolean {
  const latest = summary.latestFirm;
  return latest !== null && partialDate(latest.occurredOn).end >= partialDate(plan.data.occurredOn).start;
}

/**
 * The summary after a step recorded last that goes last in the world's order, or a plan no
 * folded firm step may fulfil (see `extendTimeline`): the same as summarising every step again.
 */
export function addStep(summary: AgreementSummary, step: RecordedStep): AgreementSummary {
  if (step.withdrawn) return summary;
  const dated = datedStep(step);
  if (dated.tentative) return { ...summary, planned: withPlan(summary.planned, dated) };
  const after = addFirmInOrder(summary, dated);
  after.planned = summary.planned.some((plan) => fulfils(dated, plan)) ? summary.planned.filter((plan) => !fulfils(dated, plan)) : summary.planned;
  return after;
}

/** The summary of every step: `recorded` in recorded order, `order` the firm ones in the world's order. */
export function summarize(recorded: readonly RecordedStep[], order: readonly RecordedStep[]): AgreementSummary {
  let summary = emptySummary;
  for (const step of order) summary = addFirmInOrder(summary, datedStep(step));
  const firm: DatedStep[] = [];
  const plans: DatedStep[] = [];
  for (const step of recorded) if (!step.withdrawn) (step.data.tentative ? plans : firm).push(datedStep(step));
  let planned: DatedStep[] = [];
  for (const plan of plans) if (!firm.some((done) => fulfils(done, plan))) planned = withPlan(planned, plan);
  return { ...summary, planned };
}

/** Planned steps whose last possible day is before `today` (YYYY-MM-DD): expected, and not recorded as done. */
export function isOverdue(step: DatedStep, today: string): boolean {
  return partialDate(step.occurredOn).end < today;
}
