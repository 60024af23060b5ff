import type { RecordedStep, StepName } from '../../domain/agreement/index.js';
import { partialDate } from '../../domain/shared/partial-date.js';

/** A step as dashboards show it: corrections applied, withdrawn ones left out. */
export interface DatedStep {
  eventId: string;
  step: StepName;
  occurredOn: string;
  tentative: boolean;
  /** Planned and not yet fulfilled by a firm step of the same kind. */
  planned: boolean;
  body?: string;
  location?: string;
  party?: string;
}

/**
 * What the dashboards read of an agreement's steps, kept up to date step by step so that the
 * steps themselves can stay on disk. A handful of steps, however long the history.
 */
export interface StepSummary {
  /** The last step recorded, tentative or firm (the register's "last step"). */
  last: DatedStep | null;
  /** The last firm step in recorded order (a partner's "last step"). */
  lastFirm: DatedStep | null;
  /** The firm step whose date may end latest, the first of equals (what "stalled" counts from). */
  latestFirm: DatedStep | null;
  /** The first firm step of each name (what durations measure between). */
  firstFirm: Partial<Record<StepName, DatedStep>>;
  /** Tentative steps no later firm step of the same kind has fulfilled, in recorded order. */
  planned: DatedStep[];
}

export const emptySummary: StepSummary = { last: null, lastFirm: null, latestFirm: null, firstFirm: {}, planned: [] };

export function datedStep(step: RecordedStep, planned = false): DatedStep {
  const { occurredOn, tentative, body, location, party } = step.data;
  // Assigned, not spread: a rebuild makes one of these per event.
  const dated: DatedStep = { eventId: step.eventId, step: step.step, occurredOn, tentative: tentative === true, planned };
  if (body !== undefined) dated.body = body;
  if (location !== undefined) dated.location = location;
  if (party !== undefined) dated.party = party;
  return dated;
}

/** Meetings are fulfilled by a meeting of the same body; other steps by a firm step of the same name. */
const kindOf = (step: DatedStep) => (step.step === 'meeting_held' ? `${step.step}|${step.body ?? ''}` : step.step);

/** The summary after one more (not withdrawn) step: the same as summarising the whole list again. */
export function addStep(summary: StepSummary, step: RecordedStep): StepSummary {
  if (step.withdrawn) return summary;
  if (step.data.tentative === true) {
    const planned = datedStep(step, true);
    return { ...summary, last: planned, planned: [...summary.planned, planned] };
  }
  const firm = datedStep(step);
  const latest = summary.latestFirm;
  return {
    last: firm,
    lastFirm: firm,
    latestFirm: !latest || partialDate(firm.occurredOn).end > partialDate(latest.occurredOn).end ? firm : latest,
    firstFirm: step.step in summary.firstFirm ? summary.firstFirm : { ...summary.firstFirm, [step.step]: firm },
    planned: summary.planned.some((planned) => kindOf(planned) === kindOf(firm)) ? summary.planned.filter((planned) => kindOf(planned) !== kindOf(firm)) : summary.planned,
  };
}

/** The summary of a whole step list (after a correction or a withdrawal reached back into it). */
export function summarize(steps: readonly RecordedStep[]): StepSummary {
  return steps.reduce(addStep, emptySummary);
}
