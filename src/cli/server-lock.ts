import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A mistake the user can fix from the message alone: exit code 64 (EX_USAGE). */
export class UsageError extends Error {}

/**
 * Tools that write to a data directory refuse while a server uses it: the server folds into the
 * same tables and keeps caches of the log that the tool would change behind its back.
 */
export function refuseWhileServerRuns(dataDir: string): void {
  const pidFile = join(dataDir, 'server.pid');
  if (!existsSync(pidFile)) return;
  const pid = readFileSync(pidFile, 'utf8').trim();
  if (isAlive(Number(pid))) throw new UsageError(`a server (pid ${pid}) is using ${dataDir}; stop it first`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
