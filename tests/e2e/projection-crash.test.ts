import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { registerModel } from '../../projections/register/projection.js';
import { CommandHandler } from '../../src/application/handle-command.js';
import { Projector } from '../../src/application/projector.js';
import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';
import { SqliteDocumentStore } from '../../src/document-store/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'ledger-projection-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the projecting child until it has stored a checkpoint past `after`, then SIGKILLs it. */
function projectThenKill(file: string, after: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/project-until-killed.ts'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let last = -1;
    child.stdout.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().trim().split('\n')) {
        const match = /^checkpoint (\d+)$/.exec(line);
        if (match && Number(match[1]) > after && last < 0) {
          last = Number(match[1]);
          child.kill('SIGKILL');
        }
      }
    });
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(last) : reject(new Error('the child finished before it was killed'))));
  });
}

describe('a projection killed while catching up', () => {
  it('goes on from its stored checkpoint after a restart and ends with the documents of a clean rebuild', async () => {
    const file = join(dir, 'ledger.sqlite');
    const store = new SqliteEventStore(file);
    const handler = new CommandHandler(store);
    for (let a = 0; a < 300; a++) {
      const id = `eu-crash-${a}`;
      await handler.handle(id, { type: 'RegisterAgreement', input: { agreementId: id, title: `EU-Crash ${a}`, kind: 'readmission_agreement', parties: ['EU', `Crash ${a}`] } }, { actor: 't', commandId: `${id}-r` });
    }
    for (let round = 1; round <= 60; round++) {
      await Promise.all(Array.from({ length: 300 }, (_, a) =>
        handler.handle(`eu-crash-${a}`, { type: 'RecordStep', step: 'round_held', data: { occurredOn: '2020', round } }, { actor: 't', commandId: `eu-crash-${a}-${round}` })));
    }
    const head = await store.headPosition();
    expect(head).toBe(300 * 61);

    const first = await projectThenKill(file, 0);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(head);
    const second = await projectThenKill(file, first);
    expect(second).toBeGreaterThan(first);

    const logger = pino({ level: 'silent' });
    const documents = new SqliteDocumentStore(file);
    expect(documents.checkpoint('register')?.position).toBe(second);
    const resumed = new Projector(store, documents, registerModel, logger);
    resumed.start();
    expect(await resumed.waitFor(head, 30_000)).toBe(true);
    await resumed.stop();

    const cleanDocuments = new SqliteDocumentStore(join(dir, 'clean.sqlite'));
    const clean = new Projector(store, cleanDocuments, registerModel, logger);
    clean.start();
    await clean.waitFor(head, 30_000);
    await clean.stop();
    expect(JSON.stringify([...documents.loadAll('register')])).toBe(JSON.stringify([...cleanDocuments.loadAll('register')]));
    // And every step stored once, where a clean rebuild stores it.
    const steps = [...documents.allItems('register')];
    expect(steps).toHaveLength(300 * 60);
    expect(JSON.stringify(steps)).toBe(JSON.stringify([...cleanDocuments.allItems('register')]));
    documents.close();
    cleanDocuments.close();
    await store.close();
  }, 120_000);
});
