/** Where read models keep their documents and checkpoints. Synchronous: both stores are local. */
export interface Checkpoint {
  version: number;
  /** The last global position whose event is reflected in the stored documents. */
  position: number;
  failed?: { position: number; error: string };
}

export interface DocumentStore {
  checkpoint(model: string): Checkpoint | undefined;
  load(model: string, key: string): unknown;
  loadAll(model: string): Iterable<[string, unknown]>;
  /** Documents as JSON text (null: delete) and the new checkpoint, atomically: all or nothing. */
  commit(model: string, version: number, position: number, changes: ReadonlyMap<string, string | null>): void;
  /** Records that the model stopped at an event it could not fold. */
  fail(model: string, version: number, failed: { position: number; error: string }): void;
  /** Forgets a model's documents and checkpoint (before a rebuild from the start). */
  reset(model: string): void;
  /** Replaces `model`'s documents and checkpoint with those stored under `shadow`, atomically. */
  promote(shadow: string, model: string): void;
  close(): void;
}

export class MemoryDocumentStore implements DocumentStore {
  private readonly documents = new Map<string, Map<string, string>>();
  private readonly checkpoints = new Map<string, Checkpoint>();

  checkpoint(model: string): Checkpoint | undefined {
    const checkpoint = this.checkpoints.get(model);
    return checkpoint && structuredClone(checkpoint);
  }

  load(model: string, key: string): unknown {
    const json = this.documents.get(model)?.get(key);
    return json === undefined ? undefined : JSON.parse(json);
  }

  *loadAll(model: string): Iterable<[string, unknown]> {
    for (const [key, json] of this.documents.get(model) ?? []) yield [key, JSON.parse(json)];
  }

  commit(model: string, version: number, position: number, changes: ReadonlyMap<string, string | null>): void {
    const documents = this.documents.get(model) ?? new Map<string, string>();
    this.documents.set(model, documents);
    // Kept as text like the SQLite store, so both hand back the same copies.
    for (const [key, json] of changes) {
      if (json === null) documents.delete(key);
      else documents.set(key, json);
    }
    this.checkpoints.set(model, { version, position });
  }

  fail(model: string, version: number, failed: { position: number; error: string }): void {
    const position = this.checkpoints.get(model)?.position ?? 0;
    this.checkpoints.set(model, { version, position, failed });
  }

  reset(model: string): void {
    this.documents.delete(model);
    this.checkpoints.delete(model);
  }

  promote(shadow: string, model: string): void {
    this.documents.set(model, this.documents.get(shadow) ?? new Map());
    this.checkpoints.set(model, this.checkpoints.get(shadow)!);
    this.reset(shadow);
  }

  close(): void {}
}
