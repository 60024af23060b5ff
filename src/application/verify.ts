import { GENESIS_HASH, hashVersion } from '../event-store/hash-chain.js';
import type { StoredEvent } from '../event-store/port.js';

export interface BrokenLink {
  position: number;
  stream: string;
  revision: number;
  eventId: string;
  reason: string;
}

export interface VerifyReport {
  ok: boolean;
  events: number;
  streams: number;
  /** The first event at which the log stops being what was appended. */
  brokenAt?: BrokenLink;
}

export interface VerifyOptions {
  /** The embedded store numbers positions without gaps, so a gap means a deleted event. */
  contiguousPositions?: boolean;
  onProgress?: (events: number, position: number) => void;
}

/**
 * Recomputes every stream's hash chain over the log in global order, streaming (one hash per
 * stream in memory), and reports the first broken link: an edited event (its hash no longer
 * matches), a removed or reordered one (a revision or position out of sequence). A deleted last
 * event of the whole log leaves no trace in the chain; compare the head with one kept elsewhere.
 */
export async function verifyEvents(events: AsyncIterable<StoredEvent>, options: VerifyOptions = {}): Promise<VerifyReport> {
  const heads = new Map<string, { revision: number; hash: string; version: 1 | 2 }>();
  let count = 0;
  let lastPosition = 0;
  const broken = (event: StoredEvent, reason: string): VerifyReport => ({
    ok: false,
    events: count,
    streams: heads.size,
    brokenAt: { position: event.position, stream: event.stream, revision: event.revision, eventId: event.id, reason },
  });
  for await (const event of events) {
    if (options.contiguousPositions && event.position !== lastPosition + 1) {
      return broken(event, `position ${event.position} follows ${lastPosition}: events between them are missing`);
    }
    if (event.position <= lastPosition) return broken(event, `position ${event.position} is not after ${lastPosition}`);
    const head = heads.get(event.stream);
    const expectedRevision = head ? head.revision + 1 : 0;
    if (event.revision !== expectedRevision) {
      return broken(event, `revision ${event.revision} where ${expectedRevision} was due: events are missing or out of order`);
    }
    const version = hashVersion(event, head?.hash ?? GENESIS_HASH, event.hash, head?.version);
    if (version === undefined) return broken(event, 'the stored hash does not match the event: it was changed after it was appended');
    heads.set(event.stream, { revision: event.revision, hash: event.hash, version });
    lastPosition = event.position;
    count++;
    if (options.onProgress && count % 10_000 === 0) options.onProgress(count, event.position);
  }
  return { ok: true, events: count, streams: heads.size };
}
