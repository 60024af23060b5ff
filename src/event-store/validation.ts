import { randomUUID } from 'node:crypto';
import { EventTooLargeError, InvalidAppendError } from './errors.js';
import { LIMITS, type EventToAppend, type ExpectedRevision } from './port.js';

/** An event that passed every check, serialised once, ready for any adapter to write. */
export interface PreparedEvent {
  id: string;
  /** Whether the caller chose the id (only then can the append be a retry). */
  idSupplied: boolean;
  type: string;
  dataJson: string;
  metadataJson: string;
}

const STREAM_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:@-]*$/;
const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9_.:-]*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function validateStreamName(stream: unknown, field = 'stream'): string {
  if (typeof stream !== 'string' || stream.length === 0) throw new InvalidAppendError(field, 'must be a non-empty string');
  if (stream.length > LIMITS.maxStreamNameLength) {
    throw new InvalidAppendError(field, `must be at most ${LIMITS.maxStreamNameLength} characters`);
  }
  if (!STREAM_NAME.test(stream)) {
    throw new InvalidAppendError(field, 'must start with a letter or digit and contain only letters, digits and _ . : @ -');
  }
  return stream;
}

export function validateExpectedRevision(expected: unknown): ExpectedRevision {
  if (expected === 'no_stream' || expected === 'any' || expected === 'stream_exists') return expected;
  if (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0) return expected;
  throw new InvalidAppendError('expectedRevision', "must be 'no_stream', 'any', 'stream_exists' or a revision >= 0");
}

export function prepareEvents(events: unknown): PreparedEvent[] {
  if (!Array.isArray(events) || events.length === 0) throw new InvalidAppendError('events', 'must be a non-empty array');
  if (events.length > LIMITS.maxEventsPerAppend) {
    throw new InvalidAppendError('events', `at most ${LIMITS.maxEventsPerAppend} events per append`);
  }
  const prepared = events.map((event: EventToAppend, index) => prepareEvent(event, `events[${index}]`));
  const ids = new Set(prepared.map((event) => event.id));
  if (ids.size !== prepared.length) throw new InvalidAppendError('events', 'event ids must be unique within one append');
  return prepared;
}

function prepareEvent(event: EventToAppend, field: string): PreparedEvent {
  if (!isPlainObject(event)) throw new InvalidAppendError(field, 'must be an object');
  const idSupplied = event.id !== undefined;
  if (idSupplied && (typeof event.id !== 'string' || !UUID.test(event.id))) {
    throw new InvalidAppendError(`${field}.id`, 'must be a UUID');
  }
  if (typeof event.type !== 'string' || event.type.length === 0 || event.type.length > LIMITS.maxTypeLength) {
    throw new InvalidAppendError(`${field}.type`, `must be a string of 1 to ${LIMITS.maxTypeLength} characters`);
  }
  if (!EVENT_TYPE.test(event.type)) {
    throw new InvalidAppendError(`${field}.type`, 'must start with a letter and contain only letters, digits and _ . : -');
  }
  if (!isPlainObject(event.data)) throw new InvalidAppendError(`${field}.data`, 'must be a JSON object');
  assertJson(event.data, `${field}.data`, 0);
  const metadata = event.metadata ?? {};
  if (!isPlainObject(metadata)) throw new InvalidAppendError(`${field}.metadata`, 'must be a JSON object');
  assertJson(metadata, `${field}.metadata`, 0);

  const dataJson = JSON.stringify(event.data);
  const metadataJson = JSON.stringify(metadata);
  const bytes = Buffer.byteLength(dataJson) + Buffer.byteLength(metadataJson);
  if (bytes > LIMITS.maxEventBytes) throw new EventTooLargeError(field, bytes, LIMITS.maxEventBytes);
  return {
    id: idSupplied ? (event.id as string).toLowerCase() : randomUUID(),
    idSupplied,
    type: event.type,
    dataJson,
    metadataJson,
  };
}

/** Refuses what JSON cannot carry faithfully (undefined, NaN, functions, class instances, cycles). */
function assertJson(value: unknown, path: string, depth: number): void {
  if (depth > LIMITS.maxJsonDepth) throw new InvalidAppendError(path, `nests deeper than ${LIMITS.maxJsonDepth} levels`);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidAppendError(path, 'numbers must be finite');
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => assertJson(item, `${path}[${index}]`, depth + 1));
    return;
  }
  if (isPlainObject(value)) {
    for (const key of Object.keys(value)) {
      if (key === '__proto__') throw new InvalidAppendError(`${path}.${key}`, 'this key is not allowed');
      assertJson(value[key], `${path}.${key}`, depth + 1);
    }
    return;
  }
  throw new InvalidAppendError(path, `${typeof value} is not a JSON value`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
