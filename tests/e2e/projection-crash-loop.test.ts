import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { fillLog } from '../../bench/rebuild.js';
import { registerModel } from '../../projections/register/projection.js';
import { Projector } from '../../src/application/projector.js';
import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';
import { SqliteDocumentStore } from '../../src/document-store/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'ledger-crash-loop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the projecting child with the server's batches, SIGKILLs it `afterMs` after it began folding; its last checkpoint. */
function projectForAWhile(file: string, afterMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/project-until-killed.ts'), file, '--server-batches'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let last = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().trim().split('\n')) {
        const match = /^(start|checkpoint) (\d+)$/.exec(line);
        if (!match) continue;
        last = Number(match[2]);
        if (match[1] === 'start') setTimeout(() => child.kill('SIGKILL'), afterMs);
      }
    });
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(last) : reject(new Error('the child finished before it was killed'))));
  });
}

describe('a read model in a crash loop', () => {
  it('moves its checkpoint on at each start, even when killed a second after it', async () => {
    const file = join(dir, 'ledger.sqlite');
    const total = fillLog(file, 8000, 100);
    const checkpoints: number[] = [];
    for (let start = 0; start < 3; start++) checkpoints.push(await projectForAWhile(file, 1200));
    expect(checkpoints[0]).toBeGreaterThan(0);
    // Each start goes further, until one has caught up with the whole log.
    for (const [index, checkpoint] of checkpoints.entries()) {
      if (index > 0 && checkpoints[index - 1]! < total) expect(checkpoint).toBeGreaterThan(checkpoints[index - 1]!);
    }
    expect(checkpoints[0]).toBeLessThan(total);
  }, 120_000);
});

describe('a read model restarted with nothing to catch up', () => {
  it('says live without waiting for the next write', async () => {
    const file = join(dir, 'caught-up.sqlite');
    const total = fillLog(file, 10, 10);
    const store = new SqliteEventStore(file);
    const logger = pino({ level: 'silent' });
    const first = new Projector(store, new SqliteDocumentStore(file), registerModel, logger);
    first.start();
    expect(await first.waitFor(total, 10_000)).toBe(true);
    await first.stop();

    const documents = new SqliteDocumentStore(file);
    const restarted = new Projector(store, documents, registerModel, logger);
    restarted.start();
    await expect.poll(() => restarted.describe().state, { timeout: 2000 }).toBe('live');
    expect(restarted.describe().position).toBe(total);
    await restarted.stop();
    documents.close();
    await store.close();
  });
});
