import { IntegrityError, StoreCorruptError } from '../event-store/errors.js';
import { followChain, type ChainHead } from '../event-store/hash-chain.js';
import type { EventStore, StoredEvent } from '../event-store/port.js';
import type { DamagedEvent } from '../event-store/reading.js';

export interface BrokenLink {
  position: number;
  /** Unknown only where the event's page cannot be read at all. */
  stream?: string;
  revision?: number;
  eventId?: string;
  reason: string;
}

export interface VerifyReport {
  ok: boolean;
  /** Places in the log examined, damaged ones included. */
  events: number;
  streams: number;
  /** The first event at which the log stops being what was appended. */
  brokenAt?: BrokenLink;
  /** Every broken event in log order, up to `listed` of them. */
  broken?: BrokenLink[];
  /** How many events are broken in all. */
  brokenCount?: number;
  /**
   * Events whose link to their stream could not be checked because an event before them in their
   * stream could not be read: not known to be broken, not known to be intact. Up to `listed`.
   */
  unchecked?: BrokenLink[];
  uncheckedCount?: number;
}

/** Why an event after an unreadable one in its stream is not reported as broken. */
export const FOLLOWS_UNREADABLE = 'could not be checked (follows an unreadable event)';

export interface VerifyOptions {
  /** The embedded store numbers positions without gaps, so a gap means a deleted event. */
  contiguousPositions?: boolean;
  onProgress?: (events: number, position: number) => void;
  /** How many broken events the report lists (default 100); the count covers all of them. */
  listed?: number;
}

/**
 * Recomputes every stream's hash chain over the log in global order, streaming (one hash per
 * stream in memory), and reports every broken event: an edited one (its hash no longer matches), a
 * removed or reordered one (a revision or position out of sequence), one the store cannot read
 * (`DamagedEvent`). After a break the chain goes on from the event as stored, so one edit is one
 * report. A deleted last event of the whole log leaves no trace in the chain; compare the head
 * with one kept elsewhere.
 */
export async function verifyEvents(events: AsyncIterable<StoredEvent | DamagedEvent>, options: VerifyOptions = {}): Promise<VerifyReport> {
  const listed = options.listed ?? 100;
  const heads = new Map<string, ChainHead>();
  /** Where each stream was last seen, to tell whether an unreadable place came between. */
  const seenAt = new Map<string, number>();
  const broken: BrokenLink[] = [];
  const unchecked: BrokenLink[] = [];
  let brokenCount = 0;
  let uncheckedCount = 0;
  let count = 0;
  let lastPosition = 0;
  let lastUnreadable = 0;
  for await (const item of events) {
    count++;
    const { position } = item;
    let reason: string | undefined;
    if (options.contiguousPositions && position > lastPosition + 1) reason = also(reason, `position ${position} follows ${lastPosition}: events between them are missing`);
    if (position <= lastPosition) reason = also(reason, `position ${position} is not after ${lastPosition}`);
    if ('damaged' in item) {
      reason = also(reason, item.reason);
      if (item.stream === undefined) lastUnreadable = position;
      else seenAt.set(item.stream, position);
      const head = item.stream === undefined ? undefined : heads.get(item.stream);
      if (item.stream !== undefined && item.revision !== undefined && item.hash !== undefined) heads.set(item.stream, { revision: item.revision, hash: item.hash, version: head?.version ?? 2 });
    } else {
      const head = heads.get(item.stream);
      const link = followChain(item, head);
      heads.set(item.stream, link.head);
      // Events of its stream are missing where a place nobody could read came between: they may be there.
      const missing = item.revision > (head ? head.revision + 1 : 0);
      if (link.broken && missing && lastUnreadable > (seenAt.get(item.stream) ?? 0) && reason === undefined) {
        uncheckedCount++;
        if (unchecked.length < listed) unchecked.push(brokenLink(item, FOLLOWS_UNREADABLE));
      } else if (link.broken) {
        reason = also(reason, link.broken);
      }
      seenAt.set(item.stream, position);
    }
    if (reason !== undefined) {
      brokenCount++;
      if (broken.length < listed) broken.push(brokenLink(item, reason));
    }
    lastPosition = Math.max(lastPosition, position);
    if (options.onProgress && count % 10_000 === 0) options.onProgress(count, position);
  }
  if (brokenCount === 0 && uncheckedCount === 0) return { ok: true, events: count, streams: heads.size };
  const report: VerifyReport = { ok: false, events: count, streams: heads.size, broken, brokenCount };
  if (broken[0] !== undefined) report.brokenAt = broken[0];
  if (uncheckedCount > 0) Object.assign(report, { unchecked, uncheckedCount });
  return report;
}

/** Reasons for one event, joined. */
function also(reason: string | undefined, more: string): string {
  return reason === undefined ? more : `${reason}; ${more}`;
}

function brokenLink(item: StoredEvent | DamagedEvent, reason: string): BrokenLink {
  const link: BrokenLink = { position: item.position, reason };
  if (item.stream !== undefined) link.stream = item.stream;
  if (item.revision !== undefined) link.revision = item.revision;
  if (item.id !== undefined) link.eventId = item.id;
  return link;
}

/** One agreement's chain, as `GET /agreements/{id}/integrity` answers it. */
export interface StreamIntegrity {
  ok: boolean;
  /** Events checked, up to and including the first broken one. */
  checked: number;
  firstBroken?: { position?: number; eventId?: string; revision?: number; reason: string };
}

/**
 * Reads one stream whole: the store checks its chain as it reads (see EventStore.readStream), so
 * the check is made there, once. Damage the store refuses to hand over (an event that does not
 * decode or chain, an unreadable page) is the answer, not an error.
 */
export async function verifyStream(store: EventStore, stream: string): Promise<StreamIntegrity> {
  let checked = 0;
  try {
    for await (const _event of store.readStream(stream)) checked++;
  } catch (error) {
    if (error instanceof IntegrityError) {
      return { ok: false, checked: checked + 1, firstBroken: { position: error.position, eventId: error.eventId, revision: error.revision, reason: error.reason } };
    }
    if (error instanceof StoreCorruptError) {
      const firstBroken: NonNullable<StreamIntegrity['firstBroken']> = { reason: error.message };
      if (error.position !== undefined) firstBroken.position = error.position;
      if (error.revision !== undefined) firstBroken.revision = error.revision;
      return { ok: false, checked, firstBroken };
    }
    throw error;
  }
  return { ok: true, checked };
}
