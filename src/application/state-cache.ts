import type { AgreementState } from '../../domain/agreement/index.js';
import { BoundedMap } from './bounded-map.js';

/** Folded agreement states by id, with the stream revision they were folded to. */
export class StateCache extends BoundedMap<string, { state: AgreementState; revision: number }> {
  forget(agreementId: string): void {
    this.delete(agreementId);
  }
}
