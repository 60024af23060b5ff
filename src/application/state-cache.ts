import type { AgreementState } from '../../domain/agreement/index.js';
import { BoundedMap } from '../util/bounded-map.js';

/** An agreement folded to a stream revision, with the ids of its events (to recognise retried commands). */
export interface CachedAgreement {
  state: AgreementState;
  revision: number;
  eventIds: ReadonlySet<string>;
  /** The store's change version when this was known to be current (see EventStore.changeVersion). */
  storeVersion?: number | undefined;
}

/** Folded agreements by id, least recently used forgotten first. */
export class StateCache extends BoundedMap<string, CachedAgreement> {
  forget(agreementId: string): void {
    this.delete(agreementId);
  }
}
