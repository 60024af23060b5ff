import { comparePartialDates, partialDate, type PartialDate } from '../../domain/shared/partial-date.js';
import type { DatedStep, RegisterEntry } from '../register/projection.js';

export interface CalendarItem extends DatedStep {
  agreementId: string;
  title: string;
  precision: PartialDate['precision'];
  /** First and last day the date may mean: a "2021-Q4" step spans the quarter, not a made-up day. */
  start: string;
  end: string;
  /** Wholly inside the period asked for; false: the date overlaps its edge and may fall outside. */
  certain: boolean;
}

/**
 * Steps and meetings in a period, past and planned. A step is listed when its date may fall in the
 * period; whether it certainly does is said per item. Sorted by first possible day, then by precision.
 */
export function calendar(entries: Iterable<RegisterEntry>, from: PartialDate, to: PartialDate): CalendarItem[] {
  const period: PartialDate = { text: `${from.text}/${to.text}`, precision: 'interval', start: from.start, end: to.end };
  const items: CalendarItem[] = [];
  for (const entry of entries) {
    for (const step of entry.steps) {
      const date = partialDate(step.occurredOn);
      const overlap = comparePartialDates(date, period);
      if (overlap === 'before' || overlap === 'after') continue;
      items.push({
        ...step,
        agreementId: entry.id,
        title: entry.title,
        precision: date.precision,
        start: date.start,
        end: date.end,
        certain: date.start >= period.start && date.end <= period.end,
      });
    }
  }
  const span = (item: CalendarItem) => Date.parse(item.end) - Date.parse(item.start);
  return items.sort((a, b) => a.start.localeCompare(b.start) || span(a) - span(b) || a.agreementId.localeCompare(b.agreementId));
}
