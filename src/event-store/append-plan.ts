import { DuplicateEventIdError, VersionConflictError } from './errors.js';
import type { AppendResult, ExpectedRevision, StoredEvent, StreamRevision } from './port.js';
import type { PreparedEvent } from './validation.js';

/** The synchronous reads an adapter offers inside its write transaction. */
export interface AppendView {
  streamRevision(stream: string): StreamRevision;
  findEvent(id: string): { stream: string; revision: number } | undefined;
  readRange(stream: string, fromRevision: number, count: number): StoredEvent[];
}

export type AppendPlan = { kind: 'write'; firstRevision: number } | { kind: 'replay'; result: AppendResult };

/**
 * Decides what one append does, the same way in every adapter: replay an earlier append that
 * had the same event ids, refuse a revision mismatch, or write at the next revision.
 */
export function planAppend(view: AppendView, stream: string, events: PreparedEvent[], expected: ExpectedRevision): AppendPlan {
  // Generated ids cannot repeat an earlier append: only supplied ones are looked up.
  if (events.some((event) => event.idSupplied)) {
    const supplied = events.filter((event) => event.idSupplied);
    const first = events[0]!;
    const earlier = first.idSupplied ? view.findEvent(first.id) : undefined;
    if (earlier) return { kind: 'replay', result: replay(view, stream, events, expected, earlier) };
    const clash = supplied.find((event) => view.findEvent(event.id));
    if (clash) throw new DuplicateEventIdError(clash.id);
  }
  const actual = view.streamRevision(stream);
  if (!revisionMatches(expected, actual)) throw new VersionConflictError(stream, expected, actual);
  return { kind: 'write', firstRevision: actual === 'no_stream' ? 0 : actual + 1 };
}

export function revisionMatches(expected: ExpectedRevision, actual: StreamRevision): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === 'no_stream';
  if (expected === 'stream_exists') return actual !== 'no_stream';
  return actual === expected;
}

/** A retry succeeds only if it repeats the original append exactly: same stream, same ids, same start. */
function replay(
  view: AppendView,
  stream: string,
  events: PreparedEvent[],
  expected: ExpectedRevision,
  earlier: { stream: string; revision: number },
): AppendResult {
  if (earlier.stream !== stream) throw new DuplicateEventIdError(events[0]!.id);
  const stored = view.readRange(stream, earlier.revision, events.length);
  const sameIds = stored.length === events.length && stored.every((event, index) => event.id === events[index]!.id);
  if (!sameIds) throw new DuplicateEventIdError(events[0]!.id);
  const startedRight =
    expected === 'any' ||
    expected === 'stream_exists' ||
    (expected === 'no_stream' ? earlier.revision === 0 : earlier.revision === expected + 1);
  if (!startedRight) throw new VersionConflictError(stream, expected, view.streamRevision(stream));
  const last = stored[stored.length - 1]!;
  return { nextRevision: last.revision, position: last.position, events: stored, idempotentReplay: true };
}
