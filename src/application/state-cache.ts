import type { AgreementState } from '../../domain/agreement/index.js';
import { BoundedMap } from '../util/bounded-map.js';

/** An agreement folded to a stream revision, with the ids of its events (to recognise retried commands). */
export interface CachedAgreement {
  state: AgreementState;
  revision: number;
  eventIds: Set<string>;
  /** The store's change version when this was known to be current (see EventStore.changeVersion). */
  storeVersion?: number | undefined;
}

/**
 * Folded agreements by id, least recently used forgotten first once they hold more than
 * `capacity` events in all (an event folded costs about half a kilobyte: its step and its id).
 */
export class StateCache extends BoundedMap<string, CachedAgreement> {
  constructor(capacity: number) {
    super(capacity, (cached) => cached.revision + 1);
  }

  forget(agreementId: string): void {
    this.delete(agreementId);
  }
}
