import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyBaseLogger } from 'fastify';
import type { EventStore } from '../event-store/port.js';
import type { CommandHandler } from './handle-command.js';
import { importDataset, type ImportReport } from './import-agreements.js';

/** The demo dataset shipped with the product, found from wherever the code runs (src/ or dist/src/). */
export function demoDatasetPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the package root to locate data/demo/agreements.json');
    dir = parent;
  }
  return join(dir, 'data', 'demo', 'agreements.json');
}

/**
 * Loads the demo data into an empty store, through the command path (so the lifecycle checks
 * every step). A store that holds anything is left as it is: demo data never mixes into real data.
 */
export async function loadDemoDataIfEmpty(store: EventStore, handler: CommandHandler, logger: FastifyBaseLogger): Promise<ImportReport | undefined> {
  if ((await store.headPosition()) > 0) {
    logger.info('the store holds events already; demo data not loaded');
    return undefined;
  }
  const file = demoDatasetPath();
  const report = await importDataset(handler, JSON.parse(readFileSync(file, 'utf8')), 'demo-data');
  logger.info({ file, agreements: report.agreements, steps: report.steps }, 'demo data loaded');
  for (const refusal of report.refusals) logger.warn({ refusal }, 'demo data step refused');
  return report;
}
