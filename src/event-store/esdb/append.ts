import { randomUUID } from 'node:crypto';
import { planAppend, type AppendView } from '../append-plan.js';
import { InvalidAppendError, StoreUnavailableError, VersionConflictError } from '../errors.js';
import { assertNoReservedKey, unwrapEvent, wrapMetadata } from './envelope.js';
import { backoff, pause, withRetry, type RetryHooks } from './retry.js';
import { AppendTooLargeWireError, TransientWireError, type EsdbWire, type WireProposedEvent } from './wire.js';
import { chainedHash, GENESIS_HASH } from '../hash-chain.js';
import type { AppendResult, ExpectedRevision, JsonObject, StoredEvent } from '../port.js';
import { PAGE_SIZE } from '../reading.js';
import type { PreparedEvent } from '../validation.js';

/** Writers in other processes racing on one stream: each lost race costs a re-read and a retry. */
const MAX_RACES = 200;
const RACE_BACKOFF = { attempts: 8, baseDelayMs: 2 };

/**
 * One append to ESDB. The hash chain needs the stream's last hash, so every write goes out at the
 * exact revision that was read, whatever the caller expected; a concurrent writer makes the server
 * refuse it, and the append is planned again on fresh state ('any' and 'stream_exists' then succeed,
 * an exact revision becomes a VersionConflictError with the actual revision).
 */
export async function appendToEsdb(
  wire: EsdbWire,
  hooks: RetryHooks,
  stream: string,
  prepared: PreparedEvent[],
  expected: ExpectedRevision,
): Promise<AppendResult> {
  const parsed = prepared.map((event, index) => {
    const metadata = JSON.parse(event.metadataJson) as JsonObject;
    assertNoReservedKey(metadata, `events[${index}]`);
    return { data: JSON.parse(event.dataJson) as JsonObject, metadata };
  });
  // Marks this call's writes, so that after a lost reply our own events are not mistaken for a replay.
  const write = randomUUID();
  let events = prepared;
  let transientFailures = 0;
  for (let race = 0; ; race++) {
    const state = await readState(wire, hooks, stream, events, expected);
    const plan = planAppend(state.view, stream, events, expected);
    if (plan.kind === 'replay') {
      const ours = plan.result.events.every((event) => state.writes.get(event.id) === write);
      return { ...plan.result, idempotentReplay: !ours };
    }
    let previousHash = state.head?.hash ?? GENESIS_HASH;
    const proposed: WireProposedEvent[] = events.map((event, index) => {
      const { data, metadata } = parsed[index]!;
      const { dataJson, metadataJson } = event;
      previousHash = chainedHash({ id: event.id, stream, revision: plan.firstRevision + index, type: event.type, dataJson, metadataJson }, previousHash);
      return { id: event.id, type: event.type, data, metadata: wrapMetadata(metadata, previousHash, write) };
    });
    const at = state.head === undefined ? 'no_stream' : BigInt(state.head.revision);
    let outcome;
    try {
      outcome = await wire.append(stream, at, proposed);
    } catch (error) {
      if (error instanceof AppendTooLargeWireError) throw new InvalidAppendError('events', error.message);
      if (!(error instanceof TransientWireError)) throw error;
      hooks.onTransient(error);
      if (++transientFailures >= 4) throw new StoreUnavailableError(error.message, { cause: error });
      // The write may have landed before the reply was lost: look our ids up on the next round.
      events = events.map((event) => ({ ...event, idSupplied: true }));
      await pause(backoff(transientFailures));
      continue;
    }
    if (!outcome.ok) {
      if (race >= MAX_RACES) throw new VersionConflictError(stream, expected, outcome.actual);
      await pause(backoff(Math.min(race + 1, RACE_BACKOFF.attempts), RACE_BACKOFF));
      continue;
    }
    const stored = await readRange(wire, hooks, stream, plan.firstRevision, events.length);
    const written = stored.events.every((event) => stored.writes.get(event.id) === write);
    const last = stored.events[stored.events.length - 1]!;
    // The server answers success without writing when the same ids already follow that revision.
    return { nextRevision: last.revision, position: last.position, events: stored.events, idempotentReplay: !written };
  }
}

interface StreamState {
  head: StoredEvent | undefined;
  view: AppendView;
  writes: Map<string, string | undefined>;
}

/**
 * What planAppend needs, read from the stream: its head, and where the supplied ids already are.
 * An exact expected revision is the fast path: a retry of it can only sit right after that revision.
 * 'any' and 'stream_exists' may be retried after later appends, so the whole stream is searched.
 */
async function readState(wire: EsdbWire, hooks: RetryHooks, stream: string, events: PreparedEvent[], expected: ExpectedRevision): Promise<StreamState> {
  const [headRaw] = await withRetry(() => wire.readStream(stream, 'end', 'backwards', 1), hooks);
  const head = headRaw === undefined ? undefined : unwrapEvent(headRaw).event;
  const ids = new Map<string, number>();
  if (head !== undefined && events.some((event) => event.idSupplied)) {
    const exact = expected === 'no_stream' ? 0 : typeof expected === 'number' ? expected + 1 : undefined;
    const from = exact ?? 0;
    const to = exact === undefined ? head.revision : Math.min(head.revision, exact + events.length - 1);
    for (let next = from; next <= to; next += PAGE_SIZE) {
      const page = await withRetry(() => wire.readStream(stream, next, 'forwards', Math.min(PAGE_SIZE, to - next + 1)), hooks);
      for (const raw of page) ids.set(raw.id, raw.revision);
      if (page.length === 0) break;
    }
  }
  const firstRevision = ids.get(events[0]!.id);
  const range = firstRevision === undefined ? { events: [], writes: new Map() } : await readRange(wire, hooks, stream, firstRevision, events.length);
  const view: AppendView = {
    streamRevision: () => head?.revision ?? 'no_stream',
    findEvent: (id) => {
      const revision = ids.get(id);
      return revision === undefined ? undefined : { stream, revision };
    },
    readRange: (_stream, from, count) => (from === firstRevision ? range.events.slice(0, count) : []),
  };
  return { head, view, writes: range.writes };
}

async function readRange(wire: EsdbWire, hooks: RetryHooks, stream: string, from: number, count: number) {
  const raws = await withRetry(() => wire.readStream(stream, from, 'forwards', count), hooks);
  const unwrapped = raws.map(unwrapEvent);
  return { events: unwrapped.map((item) => item.event), writes: new Map(unwrapped.map((item) => [item.event.id, item.write])) };
}
