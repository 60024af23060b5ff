import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HOLDER_FILE, LOCK_FILE } from './lock.js';

/**
 * Files and directories this process makes are its user's alone (0600, 0700): the log names who
 * recorded what, and api-tokens.json holds secrets. Set before any file is made, since SQLite
 * gives -wal and -shm files the mode of their database.
 */
export function makeFilesPrivate(): void {
  process.umask(0o077);
}

const DATABASES = ['ledger.sqlite', 'read-models.sqlite'];
const FILES = [...DATABASES.flatMap((db) => [db, `${db}-wal`, `${db}-shm`, `${db}-journal`]), 'api-tokens.json', LOCK_FILE, HOLDER_FILE, 'server.pid'];

/** A file or directory whose group and other permission bits were cleared, and its mode before. */
export interface Tightened {
  path: string;
  mode: string;
}

/**
 * Creates the data directory (0700) and takes group and other permissions away from it and from
 * the ledger's files in it that this user owns: directories made before, or by an older version,
 * are 0755 with 0644 files. Only the ledger's own file names are touched, nothing else in it.
 */
export function privateDataDir(dataDir: string): Tightened[] {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const uid = process.getuid?.();
  const tightened: Tightened[] = [];
  for (const path of [dataDir, ...FILES.map((name) => join(dataDir, name))]) {
    let mode: number;
    let owner: number;
    try {
      ({ mode, uid: owner } = statSync(path));
    } catch {
      continue;
    }
    if ((mode & 0o077) === 0 || (uid !== undefined && owner !== uid)) continue;
    chmodSync(path, mode & 0o7700);
    tightened.push({ path, mode: (mode & 0o7777).toString(8).padStart(4, '0') });
  }
  return tightened;
}
