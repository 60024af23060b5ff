import { verifyEvents, type BrokenLink } from '../application/verify.js';
import { ConfigError, loadConfig } from '../config.js';
import { EventStoreError } from '../event-store/errors.js';
import { openEventStore } from '../event-store/open.js';
import { reportsDamage } from '../event-store/reading.js';
import { isCorruption } from '../event-store/sqlite/reading.js';

/**
 * `npm run verify`: recomputes the hash chain of the whole log, streaming, with progress. Exits 0
 * when it holds; 3 when it does not, naming every broken position (the first 100, and how many in
 * all), damaged data included: an event whose JSON does not parse, a page of the file that cannot
 * be read. Never a stack trace: each failure is one line saying what and where.
 */
const LISTED = 100;

try {
  const config = loadConfig();
  const store = await openEventStore(config);
  const head = await store.headPosition();
  const started = performance.now();
  const report = await verifyEvents(reportsDamage(store) ? store.readAllReportingDamage() : store.readAll(), {
    contiguousPositions: config.EVENT_STORE === 'sqlite',
    listed: LISTED,
    onProgress: (events, position) => {
      const speed = events / ((performance.now() - started) / 1000);
      process.stdout.write(`verified ${events} events (position ${position}/${head}), ${Math.round(speed)} events/s, ETA ${((head - position) / speed).toFixed(0)} s\n`);
    },
  });
  await store.close();
  const seconds = (performance.now() - started) / 1000;
  if (report.ok) {
    process.stdout.write(`ok: ${report.events} events in ${report.streams} streams, every hash chain holds (${Math.round(report.events / Math.max(seconds, 0.001))} events/s)\n`);
  } else {
    const broken = report.broken ?? [];
    for (const link of broken) process.stdout.write(`BROKEN at ${where(link)}: ${link.reason}\n`);
    const count = report.brokenCount ?? broken.length;
    if (count > broken.length) process.stdout.write(`... and ${count - broken.length} more broken positions\n`);
    const unchecked = report.unchecked ?? [];
    for (const link of unchecked) process.stdout.write(`UNCHECKED at ${where(link)}: ${link.reason}\n`);
    const uncheckedCount = report.uncheckedCount ?? 0;
    if (uncheckedCount > unchecked.length) process.stdout.write(`... and ${uncheckedCount - unchecked.length} more unchecked positions\n`);
    process.stdout.write(`BROKEN: ${count} of ${report.events} events are not what was appended\n`);
    if (uncheckedCount > 0) process.stdout.write(`UNCHECKED: ${uncheckedCount} of ${report.events} events could not be checked (each follows an unreadable event in its stream)\n`);
    process.exit(3);
  }
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  // A file too damaged to scan at all (its header, its schema, the end of the log) is a broken log too.
  if (isCorruption(error) || (error instanceof EventStoreError && (error.code === 'STORE_CORRUPT' || isCorruption(error.cause)))) {
    process.stdout.write(`BROKEN: the database file cannot be read: ${(error as Error).message}\n`);
    process.exit(3);
  }
  process.stderr.write(`verify failed: ${(error as Error).message}\n`);
  process.exit(1);
}

function where(link: BrokenLink): string {
  const details = [link.stream && `stream ${link.stream}`, link.revision !== undefined && `revision ${link.revision}`, link.eventId && `event ${link.eventId}`].filter(Boolean);
  return `position ${link.position}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
}
