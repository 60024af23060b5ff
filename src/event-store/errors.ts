import type { ExpectedRevision, StreamRevision } from './port.js';

/** Every store failure has a stable `code` that callers (and HTTP) can switch on. */
export class EventStoreError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class VersionConflictError extends EventStoreError {
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: StreamRevision,
  ) {
    super('VERSION_CONFLICT', `stream '${stream}' was expected at revision ${String(expected)} but is at ${String(actual)}`);
  }
}

/** Bad input to the store: the caller can fix it; nothing was written. */
export class InvalidAppendError extends EventStoreError {
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super('INVALID_APPEND', `${field}: ${rule}`);
  }
}

export class EventTooLargeError extends EventStoreError {
  constructor(
    readonly field: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super('EVENT_TOO_LARGE', `${field}: ${bytes} bytes of JSON exceed the limit of ${limit}`);
  }
}

/** An event id that is already stored somewhere this append cannot be a retry of. */
export class DuplicateEventIdError extends EventStoreError {
  constructor(readonly eventId: string) {
    super('DUPLICATE_EVENT_ID', `event id ${eventId} is already stored elsewhere; a retry must repeat the original append`);
  }
}

export class StoreClosedError extends EventStoreError {
  constructor() {
    super('STORE_CLOSED', 'the event store is closed');
  }
}

export class StoreUnavailableError extends EventStoreError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('STORE_UNAVAILABLE', `the event store cannot be used: ${detail}`);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** Events brought from another store that cannot join this one as they are. Nothing of the batch was written. */
export class ImportRefusedError extends EventStoreError {
  constructor(
    readonly eventId: string,
    readonly reason: string,
  ) {
    super('IMPORT_REFUSED', `event ${eventId}: ${reason}`);
  }
}

/**
 * A stored event that is not what was appended: its hash does not chain, its JSON does not parse,
 * its revision is out of sequence. Only its stream is refused; the rest of the log serves on.
 */
export class IntegrityError extends EventStoreError {
  constructor(
    readonly stream: string,
    readonly position: number,
    readonly revision: number,
    readonly eventId: string,
    readonly reason: string,
  ) {
    super('INTEGRITY_BROKEN', `${stream}: the event at position ${position} (revision ${revision}, event ${eventId}) is not what was appended: ${reason}`);
  }
}

/** Part of the database file cannot be read (SQLite: SQLITE_CORRUPT): `where` names what it held, as far as the store can tell. */
export class StoreCorruptError extends EventStoreError {
  readonly stream: string | undefined;
  readonly position: number | undefined;
  readonly revision: number | undefined;

  constructor(where: string, at: { stream?: string; position?: number; revision?: number } = {}, options?: { cause?: unknown }) {
    super('STORE_CORRUPT', `the database page holding ${where} cannot be read: the file is damaged`);
    this.stream = at.stream;
    this.position = at.position;
    this.revision = at.revision;
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}
