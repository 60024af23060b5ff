import { pino } from 'pino';
import { registerModel } from '../../projections/register/projection.js';
import type { ReadModel } from '../../projections/read-model.js';
import { Projector } from '../application/projector.js';
import { ConfigError, loadConfig } from '../config.js';
import { openEventStore } from '../event-store/open.js';
import { openDocumentStore } from '../document-store/open.js';
import { takeDataDir, UsageError } from './server-lock.js';

/**
 * `npm run rebuild -- [name]`: forgets a read model's documents and folds the whole log again,
 * printing progress (position, events/s, ETA). The server must be stopped: a running server folds
 * into the same tables and would interleave with the rebuild. Exit 64 while anything holds DATA_DIR.
 */
const MODELS: Record<string, ReadModel<unknown>> = { register: registerModel as ReadModel<unknown> };

try {
  const config = loadConfig();
  const wanted = process.argv[2];
  if (wanted !== undefined && !MODELS[wanted]) throw new UsageError(`unknown read model '${wanted}'; known: ${Object.keys(MODELS).join(', ')}`);
  // Read models live in DATA_DIR with every store but memory, whose rebuild has nothing to keep.
  const lock = config.EVENT_STORE === 'memory' ? undefined : takeDataDir(config.dataDir, 'rebuild');
  const logger = pino({ level: config.LOG_LEVEL });
  const store = await openEventStore(config);
  const documents = openDocumentStore(config);
  const head = await store.headPosition();
  for (const model of wanted ? [MODELS[wanted]!] : Object.values(MODELS)) {
    documents.reset(model.name);
    const projector = new Projector(store, documents, model, logger);
    const started = performance.now();
    const progress = setInterval(() => report(model.name, projector.position, head, started), 1000);
    projector.start();
    const done = await projector.waitFor(head, 24 * 3600 * 1000);
    clearInterval(progress);
    await projector.stop();
    if (!done) throw new Error(`${model.name}: ${JSON.stringify(projector.describe().failed)}`);
    report(model.name, projector.position, head, started);
  }
  documents.close();
  await store.close();
  lock?.release();
} catch (error) {
  const known = error instanceof ConfigError || error instanceof UsageError;
  process.stderr.write(`${known ? (error as Error).message : (error as Error).stack}\n`);
  process.exit(known ? 64 : 1);
}

function report(name: string, position: number, head: number, started: number): void {
  const seconds = (performance.now() - started) / 1000;
  const speed = position / Math.max(seconds, 0.001);
  const eta = speed > 0 ? (head - position) / speed : 0;
  const percent = head === 0 ? 100 : (100 * position) / head;
  process.stdout.write(`${name}: position ${position}/${head} (${percent.toFixed(1)}%), ${Math.round(speed)} events/s, ETA ${eta.toFixed(0)} s\n`);
}
