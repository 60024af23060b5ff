import { ImportRefusedError } from './errors.js';
import { GENESIS_HASH, hashMatches } from './hash-chain.js';
import type { ImportedEvent, ImportResult, StoredEvent } from './port.js';
import { prepareEvents, validateStreamName, type PreparedEvent } from './validation.js';

/** What planning an import needs to know of the store it goes into. */
export interface ImportView {
  /** The stream's last stored revision and hash, or undefined for a stream with no events. */
  streamHead(stream: string): { revision: number; hash: string } | undefined;
  /** Where an event id is stored, if it is. */
  findEvent(id: string): { stream: string; revision: number; hash?: string } | undefined;
}

/** An event that passed every check, ready to be written as it was in the source store. */
export interface ImportRow extends Omit<StoredEvent, 'position' | 'data' | 'metadata'> {
  dataJson: string;
  metadataJson: string;
  data: StoredEvent['data'];
  metadata: StoredEvent['metadata'];
}

/**
 * Decides, for a batch of exported events, which to write and which the store already holds, or
 * refuses the batch. The same input rules as an append (names, sizes, JSON) apply, and more: each
 * new event must be the next revision of its stream and its hash must chain to the stream's last
 * hash, so an import can neither fork a stream nor bring in an edited event.
 */
export function planImport(view: ImportView, events: ImportedEvent[]): { rows: ImportRow[]; skipped: number } {
  // Validates ids (UUIDs, no repeats in the batch), types, data, metadata and sizes.
  const prepared: PreparedEvent[] = prepareEvents(events.map(({ id, type, data, metadata }) => ({ id, type, data, metadata })));
  const heads = new Map<string, { revision: number; hash: string } | undefined>();
  const headOf = (stream: string) => (heads.has(stream) ? heads.get(stream) : view.streamHead(stream));
  const rows: ImportRow[] = [];
  let skipped = 0;
  events.forEach((event, index) => {
    const refuse = (reason: string) => new ImportRefusedError(String(event.id), reason);
    validateStreamName(event.stream, `events[${index}].stream`);
    if (!Number.isSafeInteger(event.revision) || event.revision < 0) throw refuse('revision must be a whole number >= 0');
    if (typeof event.recordedAt !== 'string' || new Date(event.recordedAt).toISOString() !== event.recordedAt) {
      throw refuse('recordedAt must be an ISO 8601 UTC timestamp such as 2021-03-18T10:00:00.000Z');
    }
    if (typeof event.hash !== 'string' || !/^[0-9a-f]{64}$/.test(event.hash)) throw refuse('hash must be 64 hexadecimal digits');
    const existing = view.findEvent(event.id);
    if (existing) {
      if (existing.stream !== event.stream || existing.revision !== event.revision || (existing.hash !== undefined && existing.hash !== event.hash)) {
        throw refuse(`this id is already stored as revision ${existing.revision} of ${existing.stream}, differently`);
      }
      skipped++;
      return;
    }
    const head = headOf(event.stream);
    const due = head ? head.revision + 1 : 0;
    if (event.revision !== due) {
      throw refuse(`revision ${event.revision} of ${event.stream} cannot follow: the stream here is at ${head ? head.revision : 'no_stream'} (the stores have diverged, or events are missing)`);
    }
    const { dataJson, metadataJson } = prepared[index]!;
    const data = JSON.parse(dataJson);
    const metadata = JSON.parse(metadataJson);
    const hash = event.hash;
    if (!hashMatches({ id: event.id, stream: event.stream, revision: event.revision, type: event.type, data, metadata }, head?.hash ?? GENESIS_HASH, hash)) throw refuse('its hash does not match its content and the hash before it: it was changed after it was exported, or comes from a different history');
    heads.set(event.stream, { revision: event.revision, hash });
    rows.push({ id: event.id, stream: event.stream, revision: event.revision, type: event.type, dataJson, metadataJson, data, metadata, recordedAt: event.recordedAt, hash });
  });
  return { rows, skipped };
}

/**
 * A store that takes a whole import as one change, batch after batch as they are read, so that
 * an import refused or killed half-way leaves the store exactly as it was. Not on the port:
 * only adapters that can import offer it (the SQLite and in-memory ones).
 */
export interface AtomicImporter {
  importAll(batches: AsyncIterable<ImportedEvent[]> | Iterable<ImportedEvent[]>): Promise<ImportResult>;
}

export function importsAtomically(store: object): store is AtomicImporter {
  return typeof (store as Partial<AtomicImporter>).importAll === 'function';
}
