import type { PartialDate } from '../shared/partial-date.js';
import { partialDate } from '../shared/partial-date.js';
import { refold, type AgreementState, type RecordedStep } from './state.js';

export interface OccurredByView {
  /** The agreement folded over the steps that certainly happened by the boundary, corrections applied. */
  state: AgreementState;
  /** Steps whose dates straddle the boundary: maybe before, maybe after. Listed, not counted. */
  uncertain: RecordedStep[];
  /** How many steps certainly came later. */
  later: number;
  /** The agreement had every uncertain step happened by the boundary: its status may be this one's or that one's. */
  possible: AgreementState;
}

/**
 * The agreement as it stood in the world by `boundary`, by what `current` knows (now, or at a
 * recorded moment): the steps certainly not after it (their last possible day on or before the
 * boundary's last day), folded by the same timeline as every other answer. A firm step had
 * happened by the day it was recorded, so none ends after `knownOn` (the day of what `current`
 * knows: a signature "2026" recorded today counts by today). Steps that may fall either side
 * are returned as uncertain instead of being silently counted or dropped. Plans are kept
 * whatever their date: they are what is expected, not steps to place either side, so the world
 * by today lists the plans the live answer lists.
 */
export function asOccurredBy(current: AgreementState, boundary: PartialDate, knownOn: string): OccurredByView {
  const uncertain: RecordedStep[] = [];
  let later = 0;
  const counted: RecordedStep[] = [];
  for (const step of current.steps) {
    if (step.withdrawn) continue;
    if (step.data.tentative) {
      counted.push(step);
      continue;
    }
    const date = partialDate(step.data.occurredOn);
    const end = date.end < knownOn ? date.end : knownOn;
    if (date.start > boundary.end) later++;
    else if (end > boundary.end) uncertain.push(step);
    else counted.push(step);
  }
  const state = refold(current.registration, counted);
  return { state, uncertain, later, possible: uncertain.length === 0 ? state : refold(current.registration, [...counted, ...uncertain]) };
}
