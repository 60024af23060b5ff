import type { RecordedEvent } from '../domain/agreement/index.js';

/** An event as read models see it: the domain event and where it stands in the log. */
export interface ProjectedEvent {
  stream: string;
  position: number;
  recordedAt: string;
  event: RecordedEvent;
}

/**
 * A read model: a pure fold over the log, one document per key. The projector keeps documents
 * live in memory while it folds a batch and stores them as JSON with the checkpoint.
 */
export interface ReadModel<Doc> {
  name: string;
  /** Bump when the fold or the document shape changes: the model is rebuilt from position 1. */
  version: number;
  streamPrefix: string;
  /** Which document an event belongs to; undefined: the model ignores it. */
  keyOf(event: ProjectedEvent): string | undefined;
  fold(document: Doc | undefined, event: ProjectedEvent): Doc | undefined;
  toJSON(document: Doc): unknown;
  /**
   * Optional: the document as JSON text, equal to `JSON.stringify(toJSON(document))`, for models
   * that can write it quicker (a rebuild stores every document, and histories are long).
   */
  serialize?(document: Doc): string;
  fromJSON(json: unknown): Doc;
}
