import { createWriteStream, existsSync, fsyncSync, openSync, closeSync, renameSync, rmSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { exportLog } from '../application/log-transfer.js';
import { ConfigError, loadConfig } from '../config.js';
import { openEventStore } from '../event-store/open.js';
import { UsageError } from './server-lock.js';

/**
 * `npm run export-log -- file.ndjson`: writes the whole log, metadata and hashes included, as
 * NDJSON (see log-transfer.ts), streaming. Safe while a server runs: it reads up to the head it
 * found at the start. The file appears only once complete (written aside, synced, renamed).
 */
try {
  const config = loadConfig();
  const target = process.argv[2];
  if (!target) throw new UsageError('usage: npm run export-log -- <file.ndjson>');
  if (existsSync(target)) throw new UsageError(`${target} exists; an export never overwrites a file`);
  const partial = `${target}.partial`;
  const store = await openEventStore(config);
  // The whole log with who recorded what: readable by its owner only, as the data directory is.
  const out = createWriteStream(partial, { flags: 'wx', mode: 0o600 });
  const started = performance.now();
  try {
    const { events, headPosition } = await exportLog(store, out, {
      now: new Date(),
      onProgress: (count, position) => process.stdout.write(`exported ${count} events (position ${position})\n`),
    });
    out.end();
    await finished(out);
    const fd = openSync(partial, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(partial, target);
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`ok: ${events} events up to position ${headPosition} written to ${target} (${Math.round(events / Math.max(seconds, 0.001))} events/s)\n`);
  } catch (error) {
    out.destroy();
    rmSync(partial, { force: true });
    throw error;
  } finally {
    await store.close();
  }
} catch (error) {
  const known = error instanceof ConfigError || error instanceof UsageError || (error as NodeJS.ErrnoException).code === 'EEXIST';
  process.stderr.write(`${known ? (error as Error).message : (error as Error).stack}\n`);
  process.exit(known ? 64 : 1);
}
