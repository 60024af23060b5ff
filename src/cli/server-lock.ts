import { DataDirInUseError, lockDataDir, type DataDirLock } from '../data-dir/lock.js';
import { makeFilesPrivate, privateDataDir } from '../data-dir/private-files.js';

/** A mistake the user can fix from the message alone: exit code 64 (EX_USAGE). */
export class UsageError extends Error {}

/**
 * Tools that write to a data directory take it for themselves, as the server does: a running
 * server folds into the same tables and keeps caches of the log that the tool would change behind
 * its back. Refused (exit 64) while a server or another tool holds it. Also makes the tool's files
 * private (see private-files.ts) and says on stderr which existing ones it tightened.
 */
export function takeDataDir(dataDir: string, tool: string): DataDirLock {
  makeFilesPrivate();
  try {
    const lock = lockDataDir(dataDir, tool);
    for (const { path, mode } of privateDataDir(dataDir)) process.stderr.write(`warning: ${path} was mode ${mode}; now readable by its owner only\n`);
    return lock;
  } catch (error) {
    if (error instanceof DataDirInUseError) throw new UsageError(`${error.message}; stop it first`);
    throw error;
  }
}
