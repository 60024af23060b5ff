import { createReadStream, existsSync } from 'node:fs';
import { verifyEvents } from '../application/verify.js';
import { importLog, ImportFileError } from '../application/log-transfer.js';
import { ConfigError, loadConfig } from '../config.js';
import { ImportRefusedError } from '../event-store/errors.js';
import { openEventStore } from '../event-store/open.js';
import { takeDataDir, UsageError } from './server-lock.js';

/**
 * `npm run import-log -- file.ndjson [--merge]`: reads an export into the store of DATA_DIR,
 * streaming, keeping ids, recording times and hashes; then verifies the whole chain. Refuses a
 * store that has events unless --merge, which adds only the events it does not hold. Read models
 * are not touched: the server folds the imported events when it starts (or `npm run rebuild`).
 * Exit codes: 0 done and verified, 64 usage, 65 the file or the store refused, 3 verification failed.
 */
try {
  const config = loadConfig();
  const args = process.argv.slice(2);
  const merge = args.includes('--merge');
  const files = args.filter((arg) => arg !== '--merge');
  if (files.length !== 1 || files[0]!.startsWith('--')) throw new UsageError('usage: npm run import-log -- <file.ndjson> [--merge]');
  const source = files[0]!;
  if (!existsSync(source)) throw new UsageError(`${source} does not exist`);
  // Only the embedded store can import, and it keeps the log in DATA_DIR.
  const lock = config.EVENT_STORE === 'sqlite' ? takeDataDir(config.dataDir, 'import-log') : undefined;
  const store = await openEventStore(config);
  try {
    const started = performance.now();
    const report = await importLog(store, createReadStream(source), {
      merge,
      onProgress: (events, line) => {
        if (events % 100_000 < 1000) process.stdout.write(`imported ${events} events (line ${line})\n`);
      },
    });
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`imported ${report.imported} events, ${report.skipped} already held, in ${seconds.toFixed(1)} s\n`);
    const verified = await verifyEvents(store.readAll(), { contiguousPositions: config.EVENT_STORE === 'sqlite' });
    if (!verified.ok) {
      process.stdout.write(`BROKEN after import at position ${verified.brokenAt!.position}: ${verified.brokenAt!.reason}\n`);
      process.exitCode = 3;
    } else {
      process.stdout.write(`ok: verified ${verified.events} events in ${verified.streams} streams\n`);
    }
  } finally {
    await store.close();
    lock?.release();
  }
} catch (error) {
  const usage = error instanceof ConfigError || error instanceof UsageError;
  const refused = error instanceof ImportFileError || error instanceof ImportRefusedError || (error as { code?: string }).code === 'INVALID_APPEND' || (error as { code?: string }).code === 'EVENT_TOO_LARGE';
  // An import is one transaction: whatever stopped it, the store is as it was before.
  const message = usage ? `refused: ${(error as Error).message}` : refused ? `refused: ${(error as Error).message}; nothing was imported` : (error as Error).stack;
  process.stderr.write(`${message}\n`);
  process.exit(usage ? 64 : refused ? 65 : 1);
}
