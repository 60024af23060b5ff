import type { AgreementState } from '../../domain/agreement/index.js';

/** Folded agreement states by id, with the stream revision they were folded to. Least recently used go first. */
export class StateCache {
  private readonly entries = new Map<string, { state: AgreementState; revision: number }>();

  constructor(private readonly capacity: number) {}

  get(agreementId: string): { state: AgreementState; revision: number } | undefined {
    const entry = this.entries.get(agreementId);
    if (entry) {
      this.entries.delete(agreementId);
      this.entries.set(agreementId, entry);
    }
    return entry;
  }

  set(agreementId: string, entry: { state: AgreementState; revision: number }): void {
    this.entries.delete(agreementId);
    this.entries.set(agreementId, entry);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  forget(agreementId: string): void {
    this.entries.delete(agreementId);
  }
}
