import { partialDate, type PartialDate } from '../shared/partial-date.js';
import type { RecordedEvent, StepData } from './events.js';
import { rehydrate, type AgreementState, type RecordedStep } from './state.js';

export interface OccurredByView {
  /** The agreement replayed over the steps that certainly happened by the boundary, corrections applied. */
  state: AgreementState;
  /** Steps whose dates straddle the boundary: maybe before, maybe after. Listed, not counted. */
  uncertain: RecordedStep[];
  /** How many steps certainly came later. */
  later: number;
}

/**
 * The agreement as it stood in the world by `boundary`, by what we know now: the steps certainly
 * not after it (their last possible day on or before the boundary's last day), corrections applied,
 * withdrawn steps left out, replayed in recorded order. Steps that may fall either side are
 * returned as uncertain instead of being silently counted or dropped.
 */
export function asOccurredBy(current: AgreementState, boundary: PartialDate): OccurredByView {
  const uncertain: RecordedStep[] = [];
  let later = 0;
  const counted: RecordedEvent[] = [];
  if (current.registration) counted.push({ id: 'registration', type: 'AgreementRegistered', data: current.registration });
  for (const step of current.steps) {
    if (step.withdrawn) continue;
    const date = partialDate(step.data.occurredOn);
    if (date.start > boundary.end) later++;
    else if (date.end > boundary.end) uncertain.push(step);
    else counted.push({ id: step.eventId, type: step.type, data: step.data as StepData } as RecordedEvent);
  }
  return { state: rehydrate(counted), uncertain, later };
}
