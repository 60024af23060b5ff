import type Database from 'better-sqlite3';
import { planImport, type ImportView } from '../import-plan.js';
import type { ImportedEvent } from '../port.js';
import { estimatedFrames } from './pacing.js';
import type { Statements } from './schema.js';

export interface ImportWritten {
  imported: number;
  skipped: number;
  /** Streams that received events (their cached heads are stale). */
  streams: Set<string>;
  /** WAL frames written, as the checkpointer estimates them. */
  frames: number;
}

/**
 * Writes a whole import in one IMMEDIATE transaction, batch by batch as they are read: memory
 * holds one batch, SQLite spills the rest to the WAL uncommitted. Refused (a bad event, a file cut
 * short: `batches` throws) or killed half-way, it commits nothing: the log is as it was, byte for
 * byte. Each batch is planned against the log as the transaction sees it, earlier batches included.
 * The caller keeps its own appends out until this settles: on this connection they would join it.
 */
export async function importInOneTransaction(
  db: Database.Database,
  stmt: Statements,
  batches: AsyncIterable<ImportedEvent[]> | Iterable<ImportedEvent[]>,
  stillOpen: () => void,
): Promise<ImportWritten> {
  const view: ImportView = {
    streamHead: (stream) => stmt.streamHead.get(stream) as { revision: number; hash: string } | undefined,
    findEvent: (id) => stmt.findWithHash.get(id) as { stream: string; revision: number; hash: string } | undefined,
  };
  const written: ImportWritten = { imported: 0, skipped: 0, streams: new Set(), frames: 0 };
  db.exec('BEGIN IMMEDIATE');
  try {
    for await (const events of batches) {
      stillOpen();
      const plan = planImport(view, events);
      for (const row of plan.rows) {
        stmt.insert.run(row.id, row.stream, row.revision, row.type, row.dataJson, row.metadataJson, row.recordedAt, row.hash);
        written.streams.add(row.stream);
      }
      written.frames += estimatedFrames(plan.rows);
      written.imported += plan.rows.length;
      written.skipped += plan.skipped;
    }
    stillOpen();
    db.exec('COMMIT');
    return written;
  } catch (error) {
    if (db.open && db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
