import { InvalidAppendError, StoreUnavailableError } from '../errors.js';
import { toPortPosition } from './positions.js';
import type { WireEvent } from './wire.js';
import type { JsonObject, StoredEvent } from '../port.js';

/**
 * ESDB keeps no hash chain, so the adapter stores each event's hash in the event's metadata under
 * this key, with the id of the append call that wrote it (to tell our own write from a retry the
 * server deduplicated). It is taken off again on read: callers see exactly the metadata they gave.
 */
export const RESERVED_METADATA_KEY = '$ledger';

interface Envelope {
  hash: string;
  write: string;
}

/** A key the adapter needs for itself: refused rather than silently overwritten. */
export function assertNoReservedKey(metadata: JsonObject, field: string): void {
  if (Object.prototype.hasOwnProperty.call(metadata, RESERVED_METADATA_KEY)) {
    throw new InvalidAppendError(`${field}.metadata.${RESERVED_METADATA_KEY}`, 'is reserved by the EventStoreDB adapter');
  }
}

/** The caller's metadata with the envelope added last, so removing it restores the original key order. */
export function wrapMetadata(metadata: JsonObject, hash: string, write: string): JsonObject {
  return { ...metadata, [RESERVED_METADATA_KEY]: { hash, write } };
}

/** Above this the server did not report a position (old servers send the maximum value on stream reads). */
const NO_POSITION = 2n ** 63n;

/** A stored event as the port shows it, and the append call that wrote it. */
export function unwrapEvent(raw: WireEvent): { event: StoredEvent; write: string | undefined } {
  if (raw.commit === undefined || raw.commit >= NO_POSITION) {
    throw new StoreUnavailableError('the server does not report $all positions on stream reads (EventStoreDB 22.6 or later does)');
  }
  const { metadata, envelope } = splitMetadata(raw.metadata);
  const event: StoredEvent = {
    id: raw.id,
    stream: raw.stream,
    revision: raw.revision,
    position: toPortPosition(raw.commit),
    type: raw.type,
    data: isObject(raw.data) ? (raw.data as JsonObject) : {},
    metadata,
    recordedAt: raw.created.toISOString(),
    // An event some other tool wrote has no hash: verification then reports it instead of trusting it.
    hash: envelope?.hash ?? '',
  };
  return { event, write: envelope?.write };
}

function splitMetadata(raw: unknown): { metadata: JsonObject; envelope: Envelope | undefined } {
  if (!isObject(raw)) return { metadata: {}, envelope: undefined };
  const { [RESERVED_METADATA_KEY]: envelope, ...metadata } = raw as Record<string, unknown>;
  return { metadata: metadata as JsonObject, envelope: isEnvelope(envelope) ? envelope : undefined };
}

function isEnvelope(value: unknown): value is Envelope {
  return isObject(value) && typeof (value as Envelope).hash === 'string' && typeof (value as Envelope).write === 'string';
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** System streams and events ($-prefixed) belong to the server, foreign ones to another ledger. */
export function isLedgerEvent(raw: WireEvent): boolean {
  return !raw.foreign && !raw.stream.startsWith('$') && !raw.type.startsWith('$');
}
