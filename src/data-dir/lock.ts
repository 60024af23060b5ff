import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** The file whose lock says a process owns the data directory; it holds no data and is never deleted. */
export const LOCK_FILE = 'lock.sqlite';
/** Who holds the lock, for the message a refused process prints; information only, never trusted. */
export const HOLDER_FILE = 'lock.pid';

/** Another live process holds the data directory. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    /** As the holder wrote it ("pid 4242 (server)"), when it could be read. */
    readonly holder: string | undefined,
  ) {
    super(`${dataDir} is in use by ${holder ?? 'another process'}: one process per data directory`);
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  /** Gives the directory up; exiting, or being killed, does the same. */
  release(): void;
}

// Held connections are referenced here so that no garbage collection can close one and drop its lock.
const held = new Set<Database.Database>();

/**
 * Takes the data directory for this process, or throws DataDirInUseError. The lock is SQLite's
 * exclusive lock on LOCK_FILE (an fcntl lock on POSIX), kept for the connection's life: the
 * operating system drops it when the process ends, however it ends, so a crashed holder never
 * leaves a stale lock behind, and a second connection, even in the same process, is refused.
 */
export function lockDataDir(dataDir: string, holder: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, LOCK_FILE);
  // timeout 0: a held lock is an answer, not something to wait for.
  const db = new Database(file, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // Nothing is ever written, so no journal file is needed beside it.
    db.pragma('journal_mode = MEMORY');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (error) {
    db.close();
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') throw new DataDirInUseError(dataDir, readHolder(dataDir));
    throw new Error(`cannot take the lock ${file}: ${(error as Error).message}`);
  }
  held.add(db);
  const holderFile = join(dataDir, HOLDER_FILE);
  writeFileSync(holderFile, `pid ${process.pid} (${holder})\n`);
  return {
    release() {
      if (!held.delete(db)) return;
      // Removed while still held, so it never deletes the next holder's note.
      rmSync(holderFile, { force: true });
      db.close();
    },
  };
}

function readHolder(dataDir: string): string | undefined {
  try {
    const text = readFileSync(join(dataDir, HOLDER_FILE), 'utf8').trim();
    return /^pid \d+ \([\w -]{1,40}\)$/.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}
