/**
 * A projector's documents, kept in memory for queries, and which of them changed since they were
 * last stored. Changed documents are marked by identity, with their keys: a document folded in
 * place is marked without hashing its key again, which a rebuild would do once per event.
 */
export class ChangedDocuments<Doc> {
  readonly byKey = new Map<string, Doc>();
  private readonly dirty = new Map<Doc, string>();
  private readonly deleted = new Set<string>();

  /** What a fold made of `current`, the document under `key` before the event: the same one, another, or none. */
  folded(key: string, current: Doc | undefined, next: Doc | undefined, model: string): void {
    // Marked by identity, two equal primitives would be one.
    if (next !== undefined && (typeof next !== 'object' || next === null)) throw new Error(`read model ${model}: a document must be an object`);
    if (next !== current) {
      if (current !== undefined) this.dirty.delete(current);
      if (next === undefined) {
        this.byKey.delete(key);
        this.deleted.add(key);
      } else {
        this.byKey.set(key, next);
        this.deleted.delete(key);
      }
    }
    if (next !== undefined) this.dirty.set(next, key);
  }

  /** What changed, as it is stored: each changed document serialised, null for a deleted one. */
  changes(serialize: (document: Doc) => string): Map<string, string | null> {
    const changes = new Map<string, string | null>();
    for (const key of this.deleted) changes.set(key, null);
    for (const [document, key] of this.dirty) changes.set(key, serialize(document));
    return changes;
  }

  /** The changes were stored. */
  stored(): void {
    this.dirty.clear();
    this.deleted.clear();
  }
}
