import type Database from 'better-sqlite3';
import { IntegrityError, StoreCorruptError } from '../errors.js';
import type { ReadModelEvent, StoredEvent } from '../port.js';
import { PAGE_SIZE, type DamagedEvent } from '../reading.js';
import { COLUMNS, leanRowToEvent, rowToEvent, type EventRow, type LeanRow } from './schema.js';

/** SQLite's answer when a page of the file does not hold what a page must. */
export function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

/** A row whose data or metadata does not parse is an integrity error at its position, never a SyntaxError. */
export function decodeRow(row: EventRow): StoredEvent {
  try {
    return rowToEvent(row);
  } catch {
    throw undecodable(row);
  }
}

export function decodeLeanRow(row: LeanRow): ReadModelEvent {
  try {
    return leanRowToEvent(row);
  } catch {
    throw undecodable(row);
  }
}

function undecodable(row: EventRow | LeanRow): IntegrityError {
  return new IntegrityError(row[2], row[0], row[3], row[1], `its ${parses(row[5]) ? 'metadata' : 'data'} is not valid JSON`);
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds what a read that failed on a damaged page was after, one row at a time. Statements are
 * prepared on first need: an undamaged file never pays for them.
 */
export class DamageLocator {
  private statements: { positions: Database.Statement; row: Database.Statement } | undefined;

  constructor(private readonly db: Database.Database) {}

  private prepared() {
    this.statements ??= {
      // Answered from the (stream, revision) index alone, which holds the rowid: no table page is read.
      positions: this.db.prepare('SELECT revision, position FROM events WHERE stream = ? AND revision BETWEEN ? AND ? ORDER BY revision LIMIT ?').raw(true),
      row: this.db.prepare(`SELECT ${COLUMNS} FROM events WHERE position = ?`).raw(true),
    };
    return this.statements;
  }

  /** The first revision of `stream` from `low` whose row cannot be read, as an error to answer with. */
  inStream(stream: string, low: number, high: number, cause: unknown): StoreCorruptError {
    try {
      const { positions, row } = this.prepared();
      for (const [revision, position] of positions.all(stream, low, high, PAGE_SIZE) as [number, number][]) {
        if (!this.readable(row, position)) return new StoreCorruptError(`${stream} revision ${revision} (position ${position})`, { stream, position, revision }, { cause });
      }
    } catch (error) {
      if (!isCorruption(error)) throw error;
    }
    return new StoreCorruptError(`part of ${stream}`, { stream }, { cause });
  }

  /** The first position from `from` whose row cannot be read. */
  inLog(from: number, limit: number, cause: unknown): StoreCorruptError {
    try {
      const { row } = this.prepared();
      for (let position = from; position < from + limit; position++) {
        if (!this.readable(row, position)) return new StoreCorruptError(`position ${position}`, { position }, { cause });
      }
    } catch (error) {
      if (!isCorruption(error)) throw error;
    }
    return new StoreCorruptError(`the log from position ${from}`, { position: from }, { cause });
  }

  /**
   * The log from position 1 to `head` for `npm run verify`: a row that does not decode and a row
   * whose page cannot be read are named where they are, and the scan goes on past them.
   */
  *scan(page: Database.Statement, head: number): Generator<StoredEvent | DamagedEvent> {
    let from = 1;
    while (from <= head) {
      let rows: EventRow[] | undefined;
      try {
        rows = page.all(from, PAGE_SIZE) as EventRow[];
      } catch (error) {
        if (!isCorruption(error)) throw error;
      }
      if (rows !== undefined) {
        for (const row of rows) yield decodedOrDamaged(row);
        if (rows.length < PAGE_SIZE) return;
        from = rows[rows.length - 1]![0] + 1;
        continue;
      }
      // The page read failed: row by row over the positions it covered, so that every readable event is still checked.
      const { row } = this.prepared();
      const end = Math.min(head, from + PAGE_SIZE - 1);
      for (let position = from; position <= end; position++) {
        let found: EventRow | undefined;
        try {
          found = row.get(position) as EventRow | undefined;
        } catch (error) {
          if (!isCorruption(error)) throw error;
          yield { damaged: true, position, reason: 'its database page cannot be read (SQLITE_CORRUPT): the file is damaged here' };
          continue;
        }
        if (found) yield decodedOrDamaged(found);
      }
      from = end + 1;
    }
  }

  private readable(row: Database.Statement, position: number): boolean {
    try {
      row.get(position);
      return true;
    } catch (error) {
      if (isCorruption(error)) return false;
      throw error;
    }
  }
}

function decodedOrDamaged(row: EventRow): StoredEvent | DamagedEvent {
  try {
    return decodeRow(row);
  } catch (error) {
    if (!(error instanceof IntegrityError)) throw error;
    return { damaged: true, position: row[0], stream: row[2], revision: row[3], id: row[1], hash: row[8], reason: error.reason };
  }
}
