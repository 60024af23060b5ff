import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { registerModel } from '../../projections/register/projection.js';
import { demoDatasetPath } from '../../src/application/demo-data.js';
import { CommandHandler } from '../../src/application/handle-command.js';
import { importDataset } from '../../src/application/import-agreements.js';
import { Projector } from '../../src/application/projector.js';
import type { RegisterProjector } from '../../src/application/register-projector.js';
import { MemoryEventStore } from '../../src/event-store/memory/store.js';
import { MemoryDocumentStore } from '../../src/document-store/port.js';

/** The register of the shipped demo data, folded by the real projector (stopped, still answering). */
export async function demoRegister(): Promise<RegisterProjector> {
  const store = new MemoryEventStore();
  await importDataset(new CommandHandler(store), JSON.parse(readFileSync(demoDatasetPath(), 'utf8')), 'test');
  const projector = new Projector(store, new MemoryDocumentStore(), registerModel, pino({ level: 'silent' }));
  projector.start();
  await projector.waitFor(await store.headPosition(), 10_000);
  await projector.stop();
  await store.close();
  return projector;
}

