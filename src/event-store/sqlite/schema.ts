import type Database from 'better-sqlite3';
import { StoreUnavailableError } from '../errors.js';
import { eventHash, GENESIS_HASH } from '../hash-chain.js';
import type { ReadModelEvent, StoredEvent } from '../port.js';

/** Bump with a migration step below whenever the table shape changes. */
const SCHEMA_VERSION = 2;

/**
 * One table, the log. `position` is the rowid, so global order is insertion order and commits
 * (serialised by SQLite's single writer) can never become visible out of order.
 * UNIQUE(stream, revision) is the concurrency backstop; UNIQUE(event_id) catches duplicated ids.
 */
const MIGRATIONS: Record<number, string> = {
  1: `
    CREATE TABLE events (
      position    INTEGER PRIMARY KEY,
      event_id    TEXT    NOT NULL UNIQUE,
      stream      TEXT    NOT NULL,
      revision    INTEGER NOT NULL,
      type        TEXT    NOT NULL,
      data        TEXT    NOT NULL,
      metadata    TEXT    NOT NULL,
      recorded_at TEXT    NOT NULL,
      UNIQUE (stream, revision)
    ) STRICT;`,
  // The hash chain (tamper evidence); rows written before it get their hashes in migrate().
  2: `ALTER TABLE events ADD COLUMN hash TEXT NOT NULL DEFAULT '';`,
};

export type Synchronous = 'FULL' | 'NORMAL';

export function configureConnection(db: Database.Database, synchronous: Synchronous): void {
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') throw new StoreUnavailableError(`could not switch the database to WAL mode (got ${String(mode)})`);
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('busy_timeout = 5000');
  // Checkpoints run in a worker thread (checkpointer.ts), never on the write path.
  db.pragma('wal_autocheckpoint = 0');
  db.pragma('journal_size_limit = 67108864');
}

export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new StoreUnavailableError(`the database file has schema version ${current}, newer than this program's ${SCHEMA_VERSION}`);
  }
  for (let version = current + 1; version <= SCHEMA_VERSION; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      if (version === 2) backfillHashes(db);
      db.pragma(`user_version = ${version}`);
    })();
  }
}

/** Chains the rows of a database written before the hash column existed, stream by stream in order. */
function backfillHashes(db: Database.Database): void {
  const last = new Map<string, string>();
  const update = db.prepare('UPDATE events SET hash = ? WHERE position = ?');
  // Read whole before writing: a connection cannot update while it iterates. A one-time step.
  const columns = 'position, event_id, stream, revision, type, data, metadata, recorded_at, hash';
  for (const row of db.prepare(`SELECT ${columns} FROM events ORDER BY stream, revision`).raw(true).all() as EventRow[]) {
    const event = rowToEvent(row);
    const hash = eventHash(event, last.get(event.stream) ?? GENESIS_HASH);
    last.set(event.stream, hash);
    update.run(hash, event.position);
  }
}

export const COLUMNS = 'position, event_id, stream, revision, type, data, metadata, recorded_at, hash';
export type EventRow = [number, string, string, number, string, string, string, string, string];

export function rowToEvent(row: EventRow): StoredEvent {
  return {
    position: row[0],
    id: row[1],
    stream: row[2],
    revision: row[3],
    type: row[4],
    data: JSON.parse(row[5]),
    metadata: JSON.parse(row[6]),
    recordedAt: row[7],
    hash: row[8],
  };
}

/** The columns read models read (see `ReadModelEvent`): no metadata, no hash. */
const LEAN_COLUMNS = 'position, event_id, stream, revision, type, data, recorded_at';
export type LeanRow = [number, string, string, number, string, string, string];

export function leanRowToEvent(row: LeanRow): ReadModelEvent {
  return { position: row[0], id: row[1], stream: row[2], revision: row[3], type: row[4], data: JSON.parse(row[5]), recordedAt: row[6], dataText: row[5] };
}

/** Every statement the adapter runs, prepared once per connection. */
export function prepareStatements(db: Database.Database) {
  const select = (sql: string) => db.prepare(sql).raw(true);
  return {
    insert: db.prepare('INSERT INTO events (event_id, stream, revision, type, data, metadata, recorded_at, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    revision: db.prepare('SELECT MAX(revision) FROM events WHERE stream = ?').pluck(),
    hashAt: db.prepare('SELECT hash FROM events WHERE stream = ? AND revision = ?').pluck(),
    findById: db.prepare('SELECT stream, revision FROM events WHERE event_id = ?'),
    findWithHash: db.prepare('SELECT stream, revision, hash FROM events WHERE event_id = ?'),
    streamHead: db.prepare('SELECT revision, hash FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1'),
    range: select(`SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision BETWEEN ? AND ? ORDER BY revision LIMIT ?`),
    rangeBackwards: select(`SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision BETWEEN ? AND ? ORDER BY revision DESC LIMIT ?`),
    page: select(`SELECT ${COLUMNS} FROM events WHERE position >= ? ORDER BY position LIMIT ?`),
    pageWithPrefix: select(`SELECT ${COLUMNS} FROM events WHERE position >= ? AND substr(stream, 1, ?) = ? ORDER BY position LIMIT ?`),
    leanPage: select(`SELECT ${LEAN_COLUMNS} FROM events WHERE position >= ? ORDER BY position LIMIT ?`),
    leanPageWithPrefix: select(`SELECT ${LEAN_COLUMNS} FROM events WHERE position >= ? AND substr(stream, 1, ?) = ? ORDER BY position LIMIT ?`),
    head: db.prepare('SELECT COALESCE(MAX(position), 0) FROM events').pluck(),
    // Changes when another connection commits (another process; the checkpointer writes no rows).
    dataVersion: db.prepare('PRAGMA data_version').pluck(),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
