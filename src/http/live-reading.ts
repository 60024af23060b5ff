import { Slices } from '../application/query-budget.js';
import { IntegrityError, StoreCorruptError } from '../event-store/errors.js';
import type { EventStore, StoredEvent } from '../event-store/port.js';

export const AGREEMENT_PREFIX = 'agreement-';

/** A place in the log the feed cannot hand over: its row does not decode, or its page cannot be read. */
export interface DamagedPlace {
  damaged: true;
  position: number;
  /** Whose event it was, when the store can tell. */
  agreementId: string | undefined;
  code: string;
}

export type LogItem = StoredEvent | DamagedPlace;

/** The feed's reads run without a deadline: they only give the event loop back between slices. */
export const unbounded = () => new Slices(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);

export const isDamagedPlace = (item: LogItem): item is DamagedPlace => 'damaged' in item;

/** Damaged data, as the store names it (INTEGRITY_BROKEN, STORE_CORRUPT). */
export const isDamage = (error: unknown): error is IntegrityError | StoreCorruptError => error instanceof IntegrityError || error instanceof StoreCorruptError;

export const agreementOfStream = (stream: string | undefined): string | undefined =>
  stream?.startsWith(AGREEMENT_PREFIX) ? stream.slice(AGREEMENT_PREFIX.length) : undefined;

/** The damaged place a failed read of the log from `from` names, or undefined for any other failure. */
export function damagedPlace(error: unknown, from: number): DamagedPlace | undefined {
  if (!isDamage(error) || error.position === undefined || error.position < from) return undefined;
  return { damaged: true, position: error.position, agreementId: agreementOfStream(error.stream), code: error.code };
}

/**
 * Up to `limit` events of `prefix` from `from`, in order, with each damaged place in its own place
 * and the read going on past it. A read of the log fails at the first damaged row it meets; the
 * events before that row are then read one at a time, so that none is lost with it.
 */
export async function readAround(store: EventStore, from: number, limit: number, prefix: string, slices: Slices): Promise<LogItem[]> {
  const items: LogItem[] = [];
  let next = from;
  /** The damage a read has met further on, while the events before it are read one by one. */
  let ahead: DamagedPlace | undefined;
  while (items.length < limit) {
    await slices.next();
    const before = items.length;
    try {
      for await (const event of store.readAll({ fromPosition: next, limit: ahead ? 1 : limit - items.length, streamPrefix: prefix })) {
        items.push(event);
        next = event.position + 1;
      }
      if (!ahead || items.length === before) return items;
      if (next > ahead.position) ahead = undefined;
    } catch (error) {
      const place = damagedPlace(error, next);
      if (!place) throw error;
      if (!ahead && place.position > next) {
        ahead = place;
        continue;
      }
      // Nothing readable lies between `next` and this place.
      items.push(place);
      next = place.position + 1;
      ahead = undefined;
    }
  }
  return items;
}
