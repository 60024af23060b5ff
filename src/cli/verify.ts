import { verifyEvents } from '../application/verify.js';
import { ConfigError, loadConfig } from '../config.js';
import { openEventStore } from '../event-store/open.js';

/**
 * `npm run verify`: recomputes the hash chain of the whole log, streaming, with progress. Exits 0
 * when it holds, 3 with the first broken link when it does not.
 */
try {
  const config = loadConfig();
  const store = await openEventStore(config);
  const head = await store.headPosition();
  const started = performance.now();
  const report = await verifyEvents(store.readAll(), {
    contiguousPositions: config.EVENT_STORE === 'sqlite',
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
    const at = report.brokenAt!;
    process.stdout.write(`BROKEN at position ${at.position} (stream ${at.stream}, revision ${at.revision}, event ${at.eventId}): ${at.reason}\n`);
    process.exit(3);
  }
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : (error as Error).stack}\n`);
  process.exit(1);
}
