import { hash } from 'node:crypto';
import {
  decide, decodeEvent, EventDecodeError, EVENT_VERSIONS, evolve, initialState, rehydrate, type AgreementCommand, type AgreementEvent, type AgreementState, type RecordedEvent,
} from '../../domain/agreement/index.js';
import { refuse } from '../../domain/shared/errors.js';
import { DuplicateEventIdError, VersionConflictError } from '../event-store/errors.js';
import type { EventStore, StoredEvent } from '../event-store/port.js';
import { StateCache, type CachedAgreement } from './state-cache.js';

export interface CommandMetadata {
  /** Who asked: the token's name. */
  actor: string;
  /** Unique per command; a retried command with the same id writes nothing twice. */
  commandId: string;
  correlationId?: string;
  causationId?: string;
  /** A digest of the request that carried the command: a reused idempotency key with another request is refused. */
  requestHash?: string;
}

export interface CommandResult {
  events: StoredEvent[];
  state: AgreementState;
  revision: number;
  /** The command had been carried out before (same command id); nothing new was written. */
  replayed: boolean;
}

export const streamFor = (agreementId: string) => `agreement-${agreementId}`;

/** Conflicts come only from writers in other processes (this one serialises its own); bounded. */
const MAX_ATTEMPTS = 8;
/** Events held by the cache of folded agreements: about 25 MB, the hot agreements of any register. */
const CACHED_EVENTS = 50_000;

/**
 * Read, decide, append: the one path every write takes. The folded state is cached by stream
 * revision, so a write costs one decision and one append, not a replay of the whole stream.
 * Without `expectedRevision` a conflict with a concurrent writer is retried on fresh state;
 * with it (If-Match) the conflict goes back to the caller.
 */
export class CommandHandler {
  constructor(
    private readonly store: EventStore,
    private readonly cache = new StateCache(CACHED_EVENTS),
    /** What time it is when a command is handled: the domain refuses a firm step dated after that day. */
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * Commands for one agreement take turns within this process (they would only conflict);
   * the expected-revision check still guards against writers in other processes.
   */
  handle(agreementId: string, command: AgreementCommand, metadata: CommandMetadata, expectedRevision?: number): Promise<CommandResult> {
    const previous = this.turns.get(agreementId) ?? Promise.resolve();
    const turn = previous.then(() => this.handleNow(agreementId, command, metadata, expectedRevision));
    const settled = turn.then(
      () => undefined,
      () => undefined,
    );
    this.turns.set(agreementId, settled);
    void settled.then(() => {
      if (this.turns.get(agreementId) === settled) this.turns.delete(agreementId);
    });
    return turn;
  }

  private readonly turns = new Map<string, Promise<void>>();

  private async handleNow(agreementId: string, command: AgreementCommand, metadata: CommandMetadata, expectedRevision?: number): Promise<CommandResult> {
    const stream = streamFor(agreementId);
    const firstId = eventIdFor(metadata.commandId, 0);
    for (let attempt = 1; ; attempt++) {
      // The first attempt trusts a cached agreement without asking the store: the append names its
      // exact revision, so a stale one ends in a conflict and a retry on fresh state. A refusal is
      // only given on state checked against the store.
      const trusted = attempt === 1 ? this.cache.get(agreementId) : undefined;
      const loaded = trusted ?? (await this.load(agreementId));
      const { state, revision } = loaded;
      let decided: AgreementEvent[];
      try {
        // A retry of a command already carried out is answered before anything else, If-Match included:
        // the client whose first answer was lost must learn that its write happened.
        if (loaded.eventIds.has(firstId)) return this.replay(agreementId, firstId, metadata);
        if (command.type !== 'RegisterAgreement' && !state.registration) {
          throw refuse.notFound('AGREEMENT_NOT_FOUND', `no agreement is registered under id ${agreementId}`, { agreementId });
        }
        if (expectedRevision !== undefined && expectedRevision !== revision) {
          throw new VersionConflictError(stream, expectedRevision, revision < 0 ? 'no_stream' : revision);
        }
        decided = decide(command, state, this.clock().toISOString().slice(0, 10));
        for (const event of decided) assertReadable(event, firstId);
      } catch (refusal) {
        if (trusted && (await this.store.streamRevision(stream)) !== trusted.revision) continue;
        throw refusal;
      }
      try {
        const result = await this.store.append(stream, toStored(decided, metadata), {
          expectedRevision: revision < 0 ? 'no_stream' : revision,
        });
        if (result.idempotentReplay) return this.replay(agreementId, firstId, metadata);
        // The events just decided, as written: no need to decode what this command built.
        const next = decided.reduce((folded, event, index) => evolve(folded, { ...event, id: result.events[index]!.id }), state);
        // In place: the entry is replaced below, and commands for one agreement take turns.
        const { eventIds } = loaded;
        for (const event of result.events) eventIds.add(event.id);
        // Not stamped with a store version: the next read checks the head once, then trusts it.
        this.cache.set(agreementId, { state: next, revision: result.nextRevision, eventIds });
        return { events: result.events, state: next, revision: result.nextRevision, replayed: false };
      } catch (error) {
        this.cache.forget(agreementId);
        if (error instanceof DuplicateEventIdError) {
          // The ids come from an Idempotency-Key already used for a write elsewhere (another agreement).
          throw refuse.rule('IDEMPOTENCY_KEY_REUSED', 'Idempotency-Key: this key was used before for another request', { field: 'Idempotency-Key' });
        }
        if (!(error instanceof VersionConflictError) || expectedRevision !== undefined || attempt >= MAX_ATTEMPTS) throw error;
        // Jittered back-off, so that two writers that keep colliding stop doing so in lockstep.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** attempt));
      }
    }
  }

  /** The answer to a command carried out before: the events it wrote, and the agreement as it stands now. */
  private async replay(agreementId: string, firstId: string, metadata: CommandMetadata): Promise<CommandResult> {
    const { state, revision } = await this.load(agreementId);
    const events: StoredEvent[] = [];
    for await (const event of this.store.readStream(streamFor(agreementId))) if (event.id === firstId) events.push(event);
    const originalHash = (events[0]?.metadata as { requestHash?: string } | undefined)?.requestHash;
    if (metadata.requestHash !== undefined && originalHash !== undefined && originalHash !== metadata.requestHash) {
      throw refuse.rule('IDEMPOTENCY_KEY_REUSED', 'Idempotency-Key: this key was used before with a different request', { field: 'Idempotency-Key' });
    }
    return { events, state, revision, replayed: true };
  }

  /** The agreement as it stands, its revision (-1: no stream) and the ids of its events. */
  async load(agreementId: string): Promise<CachedAgreement> {
    const cached = this.cache.get(agreementId);
    const stream = streamFor(agreementId);
    const storeVersion = this.store.changeVersion?.();
    if (cached) {
      // Nothing committed anywhere since it was cached: current without asking the store.
      if (storeVersion !== undefined && cached.storeVersion === storeVersion) return cached;
      // Otherwise one indexed query tells whether anybody (another process, an import) wrote to it.
      const head = await this.store.streamRevision(stream);
      if (head === cached.revision) {
        const current = { ...cached, storeVersion };
        this.cache.set(agreementId, current);
        return current;
      }
    }
    const events: RecordedEvent[] = [];
    const eventIds = new Set<string>();
    let revision = -1;
    for await (const event of this.store.readStream(stream)) {
      events.push(toRecorded(event));
      eventIds.add(event.id);
      revision = event.revision;
    }
    const loaded = { state: revision < 0 ? initialState : rehydrate(events), revision, eventIds, storeVersion };
    if (revision >= 0) this.cache.set(agreementId, loaded);
    return loaded;
  }
}

/**
 * What is written must read back: every reader decodes through the one decoder, so the write
 * path checks each event with it first (a caller that skipped the HTTP schema, a field rule the
 * decision does not repeat), and refuses, writing nothing, what no reader could read.
 */
function assertReadable(event: AgreementEvent, eventId: string): void {
  try {
    decodeEvent({ id: eventId, type: event.type, data: event.data, metadata: { schemaVersion: EVENT_VERSIONS.current } });
  } catch (error) {
    if (!(error instanceof EventDecodeError)) throw error;
    const field = error.field.replace(/^data\./, '');
    throw refuse.invalid('INVALID_EVENT_DATA', `${field}: ${error.reason}`, { field });
  }
}

/** A stored event as the domain's, through the one decoder: validated, and upcast when it is older. */
export function toRecorded(event: Pick<StoredEvent, 'id' | 'type' | 'data' | 'metadata'>): RecordedEvent {
  return decodeEvent(event);
}

function toStored(events: AgreementEvent[], metadata: CommandMetadata) {
  return events.map((event, index) => ({
    id: eventIdFor(metadata.commandId, index),
    type: event.type,
    data: event.data as unknown as Record<string, never>,
    // The version its data is written in: a later ledger reads it through the upcasters.
    metadata: { ...metadata, schemaVersion: EVENT_VERSIONS.current },
  }));
}

/** Event ids derived from the command id: a retried command appends the same ids, which the store replays. */
export function eventIdFor(commandId: string, index: number): string {
  const hex = hash('sha256', `${commandId}#${index}`, 'hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
