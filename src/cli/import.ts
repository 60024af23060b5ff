import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { CommandHandler } from '../application/handle-command.js';
import { importDataset, type ImportReport } from '../application/import-agreements.js';
import { ConfigError, loadConfig } from '../config.js';
import { openEventStore } from '../event-store/open.js';
import { takeDataDir, UsageError } from './server-lock.js';

/**
 * `npm run import -- <file>`: records a dataset through the same command path as desk officers,
 * into the store the environment names (DATA_DIR, EVENT_STORE). Prints every refused step with
 * its reason; exits 2 when anything was refused. Importing a file twice records nothing twice.
 * Into the embedded store it takes DATA_DIR as the server does (exit 64 while a server runs there):
 * the server's caches of the log would not see what it records. EventStoreDB takes writes from
 * every instance at once, so an import there runs beside them.
 */
const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: npm run import -- <dataset.json>\n');
  process.exit(64);
}
try {
  const config = loadConfig();
  const logger = pino({ level: config.LOG_LEVEL });
  const lock = config.EVENT_STORE === 'sqlite' ? takeDataDir(config.dataDir, 'import') : undefined;
  const store = await openEventStore(config);
  const started = performance.now();
  const report = await importDataset(new CommandHandler(store), JSON.parse(readFileSync(file, 'utf8')), 'import');
  await store.close();
  lock?.release();
  logger.debug({ ms: Math.round(performance.now() - started) }, 'import finished');
  process.stdout.write(formatReport(report));
  process.exit(report.refusals.length > 0 ? 2 : 0);
} catch (error) {
  const usage = error instanceof UsageError;
  process.stderr.write(`${error instanceof ConfigError || usage ? (error as Error).message : (error as Error).stack}\n`);
  process.exit(usage ? 64 : 1);
}

export function formatReport(report: ImportReport): string {
  const lines = [
    `agreements: ${report.agreements.registered} registered, ${report.agreements.alreadyPresent} already present, ${report.agreements.refused} refused`,
    `steps: ${report.steps.recorded} recorded, ${report.steps.alreadyPresent} already present, ${report.steps.refused} refused`,
    ...report.refusals.map((r) => `refused ${r.agreementId}${r.index !== undefined ? ` step ${r.index} (${r.step})` : ''}: ${r.code}: ${r.reason}`),
  ];
  return `${lines.join('\n')}\n`;
}
