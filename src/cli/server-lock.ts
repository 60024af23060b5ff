import { DataDirInUseError, lockDataDir, type DataDirLock } from '../data-dir/lock.js';

/** A mistake the user can fix from the message alone: exit code 64 (EX_USAGE). */
export class UsageError extends Error {}

/**
 * Tools that write to a data directory take it for themselves, as the server does: a running
 * server folds into the same tables and keeps caches of the log that the tool would change behind
 * its back. Refused (exit 64) while a server or another tool holds it.
 */
export function takeDataDir(dataDir: string, tool: string): DataDirLock {
  try {
    return lockDataDir(dataDir, tool);
  } catch (error) {
    if (error instanceof DataDirInUseError) throw new UsageError(`${error.message}; stop it first`);
    throw error;
  }
}
