import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { importsAtomically } from '../event-store/import-plan.js';
import type { EventStore, ImportedEvent, JsonObject } from '../event-store/port.js';

/**
 * The export format: NDJSON, one header line, one line per stored event exactly as the store holds
 * it (id, stream, revision, position, type, data, metadata, recordedAt, hash), one trailer line
 * with the count. The trailer lets an import tell a complete file from a truncated one.
 */
export const EXPORT_FORMAT = 'agreement-ledger/log';
export const EXPORT_VERSION = 1;

export interface ExportHeader {
  format: typeof EXPORT_FORMAT;
  version: number;
  exportedAt: string;
  adapter: string;
  headPosition: number;
}

export interface TransferProgress {
  (events: number, position: number): void;
}

/** Streams the whole log to `out`, honouring back-pressure: memory stays flat whatever the log's size. */
export async function exportLog(store: EventStore, out: Writable, options: { now: Date; onProgress?: TransferProgress }): Promise<{ events: number; headPosition: number }> {
  const health = await store.health();
  const headPosition = await store.headPosition();
  const header: ExportHeader = { format: EXPORT_FORMAT, version: EXPORT_VERSION, exportedAt: options.now.toISOString(), adapter: health.adapter, headPosition };
  await write(out, `${JSON.stringify(header)}\n`);
  let events = 0;
  // Events appended while the export runs are left for the next one: the header names the head it covers.
  for await (const event of store.readAll()) {
    if (event.position > headPosition) break;
    await write(out, `${JSON.stringify(event)}\n`);
    events++;
    if (options.onProgress && events % 10_000 === 0) options.onProgress(events, event.position);
  }
  await write(out, `${JSON.stringify({ end: true, events })}\n`);
  return { events, headPosition };
}

async function write(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

export interface ImportOptions {
  /** Import into a store that already has events: events it holds are skipped, new ones appended. */
  merge: boolean;
  /** Events per transaction. */
  batchSize?: number;
  onProgress?: TransferProgress;
}

export interface ImportReport {
  imported: number;
  skipped: number;
  /** The events the file says it holds (its trailer). */
  declared: number;
}

/** A file that is not a complete export, or a store that may not take it. Exit code 65/64 at the CLI. */
export class ImportFileError extends Error {
  constructor(readonly line: number, message: string) {
    super(line > 0 ? `line ${line}: ${message}` : message);
    this.name = 'ImportFileError';
  }
}

/**
 * Reads an export line by line and hands it to the store in batches, all of them as one import:
 * the store checks every event (hash chain, revision order, ids already held), this checks the
 * file's shape and completeness, and a refusal from either (a bad event in the middle, a file cut
 * short, found only at its end) or a kill half-way leaves the store exactly as it was. Refuses a
 * non-empty store unless merging. Memory holds one batch, whatever the file's size.
 */
export async function importLog(store: EventStore, input: Readable, options: ImportOptions): Promise<ImportReport> {
  const adapter = async () => (await store.health()).adapter;
  if (!store.importEvents) throw new ImportFileError(0, `the ${await adapter()} store cannot import a log: it assigns recording times itself`);
  if (!importsAtomically(store)) throw new ImportFileError(0, `the ${await adapter()} store cannot take an import as one change`);
  if (!options.merge && (await store.headPosition()) > 0) {
    throw new ImportFileError(0, 'the store is not empty: importing would mix two histories. Import into an empty data directory, or pass --merge to add only the events it does not hold');
  }
  let declared = 0;
  const result = await store.importAll(fileBatches(input, options.batchSize ?? 1000, options.onProgress, (events) => (declared = events)));
  return { imported: result.imported, skipped: result.skipped, declared };
}

/**
 * The export's events in batches; throws (which undoes the whole import) on a line that is not
 * part of an export, and, after the last batch, if the trailer is missing or counts otherwise.
 */
async function* fileBatches(input: Readable, batchSize: number, onProgress: TransferProgress | undefined, onTrailer: (events: number) => void): AsyncGenerator<ImportedEvent[]> {
  let lineNumber = 0;
  let header: ExportHeader | undefined;
  let trailer: { events: number } | undefined;
  let batch: ImportedEvent[] = [];
  let read = 0;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    lineNumber++;
    if (line.trim() === '') continue;
    if (trailer) throw new ImportFileError(lineNumber, 'nothing may follow the trailer line');
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new ImportFileError(lineNumber, 'not a JSON line');
    }
    if (!header) {
      header = readHeader(value, lineNumber);
      continue;
    }
    if (isObject(value) && value.end === true) {
      if (typeof value.events !== 'number') throw new ImportFileError(lineNumber, 'the trailer must give the number of events');
      trailer = { events: value.events };
      continue;
    }
    batch.push(readEvent(value, lineNumber));
    read++;
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
      onProgress?.(read, lineNumber);
    }
  }
  if (batch.length > 0) {
    yield batch;
    onProgress?.(read, lineNumber);
  }
  // Still inside the store's transaction: throwing here undoes every batch.
  if (!header) throw new ImportFileError(0, 'the file is empty');
  if (!trailer) throw new ImportFileError(lineNumber, 'the file ends without its trailer line: it was cut short');
  if (trailer.events !== read) throw new ImportFileError(lineNumber, `the trailer declares ${trailer.events} events but the file holds ${read}`);
  onTrailer(trailer.events);
}

function readHeader(value: unknown, line: number): ExportHeader {
  if (!isObject(value) || value.format !== EXPORT_FORMAT) throw new ImportFileError(line, `not an export of this product: the first line must name format "${EXPORT_FORMAT}"`);
  if (value.version !== EXPORT_VERSION) throw new ImportFileError(line, `export format version ${String(value.version)} is not supported (this build reads ${EXPORT_VERSION})`);
  return value as unknown as ExportHeader;
}

/** The shape only; the store checks values (ids, names, sizes, hashes) with the rules every append obeys. */
function readEvent(value: unknown, line: number): ImportedEvent {
  if (!isObject(value)) throw new ImportFileError(line, 'an event line must be a JSON object');
  for (const field of ['id', 'stream', 'type', 'recordedAt', 'hash'] as const) {
    if (typeof value[field] !== 'string') throw new ImportFileError(line, `${field} must be a string`);
  }
  if (typeof value.revision !== 'number') throw new ImportFileError(line, 'revision must be a number');
  if (!isObject(value.data)) throw new ImportFileError(line, 'data must be a JSON object');
  if (value.metadata !== undefined && !isObject(value.metadata)) throw new ImportFileError(line, 'metadata must be a JSON object');
  return {
    id: value.id as string,
    stream: value.stream as string,
    revision: value.revision,
    type: value.type as string,
    data: value.data as JsonObject,
    metadata: (value.metadata ?? {}) as JsonObject,
    recordedAt: value.recordedAt as string,
    hash: value.hash as string,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
