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
  /**
   * The caller's own data and metadata, when their JSON reads back as an equal value (no -0, no
   * object without a prototype): then an adapter may hand them back instead of parsing the JSON
   * again. Otherwise undefined.
   */
  data: Record<string, unknown> | undefined;
  metadata: Record<string, unknown> | undefined;
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
  if (prepared.length > 1 && new Set(prepared.map((event) => event.id)).size !== prepared.length) {
    throw new InvalidAppendError('events', 'event ids must be unique within one append');
  }
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
  const dataExact = assertJson(event.data, `${field}.data`, 0);
  const metadata = event.metadata ?? {};
  if (!isPlainObject(metadata)) throw new InvalidAppendError(`${field}.metadata`, 'must be a JSON object');
  const metadataExact = assertJson(metadata, `${field}.metadata`, 0);

  const dataJson = JSON.stringify(event.data);
  const metadataJson = JSON.stringify(metadata);
  // A UTF-16 code unit is at most 3 bytes of UTF-8: most events are counted without encoding them.
  if ((dataJson.length + metadataJson.length) * 3 > LIMITS.maxEventBytes) {
    const bytes = Buffer.byteLength(dataJson) + Buffer.byteLength(metadataJson);
    if (bytes > LIMITS.maxEventBytes) throw new EventTooLargeError(field, bytes, LIMITS.maxEventBytes);
  }
  return {
    id: idSupplied ? (event.id as string).toLowerCase() : randomUUID(),
    idSupplied,
    type: event.type,
    dataJson,
    metadataJson,
    data: dataExact ? event.data : undefined,
    metadata: metadataExact ? metadata : undefined,
  };
}

/**
 * Refuses what JSON cannot carry faithfully (undefined, NaN, functions, class instances, cycles).
 * Answers whether the value's JSON reads back as an equal value: -0 reads back as 0, and an object
 * without a prototype as one with (the walk is paid for already).
 */
function assertJson(value: unknown, path: string, depth: number): boolean {
  try {
    return walkJson(value, depth);
  } catch (error) {
    if (!(error instanceof NotJson)) throw error;
    throw new InvalidAppendError(path + error.where.reverse().join(''), error.rule);
  }
}

/** Thrown by walkJson with the path built on the way out: building it on the way in cost every key a string. */
class NotJson extends Error {
  readonly where: string[] = [];
  constructor(readonly rule: string) {
    super(rule);
  }
}

function walkJson(value: unknown, depth: number): boolean {
  if (depth > LIMITS.maxJsonDepth) throw new NotJson(`nests deeper than ${LIMITS.maxJsonDepth} levels`);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new NotJson('numbers must be finite');
    return !Object.is(value, -0);
  }
  let exact = true;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      try {
        exact = walkJson(value[index], depth + 1) && exact;
      } catch (error) {
        if (error instanceof NotJson) error.where.push(`[${index}]`);
        throw error;
      }
    }
    return exact;
  }
  if (isPlainObject(value)) {
    exact = Object.getPrototypeOf(value) === Object.prototype;
    for (const key of Object.keys(value)) {
      try {
        if (key === '__proto__') throw new NotJson('this key is not allowed');
        exact = walkJson(value[key], depth + 1) && exact;
      } catch (error) {
        if (error instanceof NotJson) error.where.push(`.${key}`);
        throw error;
      }
    }
    return exact;
  }
  throw new NotJson(`${typeof value} is not a JSON value`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
