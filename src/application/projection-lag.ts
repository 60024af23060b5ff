import type { EventStore } from '../event-store/port.js';
import type { Projector } from './projector.js';

/** Beyond this many events a lag is reported as "at least" this many: counting more costs reads. */
const COUNT_CAP = 10_000;

export interface ProjectionLag {
  /** Events in the log the read model has not applied yet (at most COUNT_CAP when counted). */
  events: number;
  /** How long the oldest of them has been waiting. */
  seconds: number;
}

/**
 * How far a read model is behind the log. Where positions number events without gaps (SQLite,
 * memory) the count is a subtraction; elsewhere (EventStoreDB: positions are log offsets) the
 * events after the read model's position are counted, up to a cap.
 */
export async function projectionLag(store: EventStore, projector: Projector<unknown>, headPosition: number, now: number): Promise<ProjectionLag> {
  const position = projector.describe().position;
  if (headPosition <= position) return { events: 0, seconds: 0 };
  let events = 0;
  let seconds = 0;
  const limit = store.densePositions ? 1 : COUNT_CAP;
  for await (const event of store.readAll({ fromPosition: position + 1, limit })) {
    if (events === 0) seconds = Math.max(0, (now - Date.parse(event.recordedAt)) / 1000);
    events++;
  }
  return { events: store.densePositions ? headPosition - position : events, seconds };
}
