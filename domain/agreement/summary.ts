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
  /** Tentative steps that no firm step of the same kind recorded after them has fulfilled, by first possible day. */
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

/** The planned steps after one more recorded step: a firm one fulfils those of its kind, a tentative one joins them. */
function plannedAfter(planned: DatedStep[], step: DatedStep): DatedStep[] {
  if (!step.tentative) return planned.some((p) => kindOf(p) === kindOf(step)) ? planned.filter((p) => kindOf(p) !== kindOf(step)) : planned;
  const start = partialDate(step.occurredOn).start;
  const at = planned.findIndex((p) => partialDate(p.occurredOn).start > start);
  return at < 0 ? [...planned, step] : [...planned.slice(0, at), step, ...planned.slice(at)];
}

/**
 * The summary after a step recorded last that also goes last in the world's order (see
 * `extendTimeline`): the same as summarising every step again.
 */
export function addStep(summary: AgreementSummary, step: RecordedStep): AgreementSummary {
  if (step.withdrawn) return summary;
  const dated = datedStep(step);
  const planned = plannedAfter(summary.planned, dated);
  if (dated.tentative) return { ...summary, planned };
  const after = addFirmInOrder(summary, dated);
  after.planned = planned;
  return after;
}

/** The summary of every step: `recorded` in recorded order, `order` the firm ones in the world's order. */
export function summarize(recorded: readonly RecordedStep[], order: readonly RecordedStep[]): AgreementSummary {
  let summary = emptySummary;
  for (const step of order) summary = addFirmInOrder(summary, datedStep(step));
  let planned: DatedStep[] = [];
  for (const step of recorded) if (!step.withdrawn) planned = plannedAfter(planned, datedStep(step));
  return { ...summary, planned };
}

/** Planned steps whose last possible day is before `today` (YYYY-MM-DD): expected, and not recorded as done. */
export function isOverdue(step: DatedStep, today: string): boolean {
  return partialDate(step.occurredOn).end < today;
}
