import { restoreStep, type StoredStep } from '../../domain/agreement/index.js';
import { partialDate, type PartialDate } from '../../domain/shared/partial-date.js';
import { datedStep, type DatedStep } from '../../domain/agreement/index.js';
import type { RegisterEntry } from '../register/projection.js';

export interface CalendarItem extends DatedStep {
  agreementId: string;
  title: string;
  /** Tentative and not yet fulfilled by a firm step of its kind. */
  planned: boolean;
  precision: PartialDate['precision'];
  /** First and last day the date may mean: a "2021-Q4" step spans the quarter, not a made-up day. */
  start: string;
  end: string;
  /** Wholly inside the period asked for; false: the date overlaps its edge and may fall outside. */
  certain: boolean;
}

/**
 * The calendar's order: by first possible day, the most precise first, then by agreement and
 * recorded order. The steps live on disk, so the store sorts and pages them (`itemsInSpan`, in
 * this order); this places one of them in the period `from`-`to` it was found for.
 */
export function calendarItem(entry: RegisterEntry, stored: StoredStep, from: PartialDate, to: PartialDate): CalendarItem {
  const date = partialDate(stored.data.occurredOn);
  const planned = entry.summary.planned.some((step) => step.eventId === stored.eventId);
  return {
    ...datedStep(restoreStep(stored)),
    planned,
    agreementId: entry.id,
    title: entry.title,
    precision: date.precision,
    start: date.start,
    end: date.end,
    certain: date.start >= from.start && date.end <= to.end,
  };
}
