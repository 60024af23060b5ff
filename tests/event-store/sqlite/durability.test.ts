import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../src/event-store/port.js';
import { SqliteEventStore } from '../../../src/event-store/sqlite/store.js';

const dir = mkdtempSync(join(tmpdir(), 'ledger-durability-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** Runs the appending child until `ms` after it is ready, kills it with SIGKILL, returns the acknowledged ids. */
function appendThenKill(file: string, ms: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/append-until-killed.ts'), file, '8'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (output.length === 0 && chunk.toString().startsWith('ready')) setTimeout(() => child.kill('SIGKILL'), ms);
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`child ended without being killed: ${errors}`));
      // Only whole lines: a line cut by the kill was not fully reported, so it is not counted as acknowledged.
      const lines = output.split('\n');
      lines.pop();
      resolve(lines.filter((line) => line !== 'ready'));
    });
  });
}

describe('the SQLite store under crashes', () => {
  it('keeps every acknowledged append, exactly once and gap-free, across repeated SIGKILLs', async () => {
    const file = join(dir, 'crash.sqlite');
    const acknowledged: string[] = [];
    for (const ms of [150, 40, 300, 90, 220]) {
      acknowledged.push(...(await appendThenKill(file, ms)));
      const store = new SqliteEventStore(file);
      const log: StoredEvent[] = await collect(store.readAll());
      const stored = new Map(log.map((event) => [event.id, event]));
      expect(stored.size).toBe(log.length);
      for (const id of acknowledged) expect(stored.has(id), `acknowledged event ${id} is in the log`).toBe(true);
      expect(log.map((event) => event.position)).toEqual(log.map((_, index) => index + 1));
      const revisions = new Map<string, number[]>();
      for (const event of log) revisions.set(event.stream, [...(revisions.get(event.stream) ?? []), event.revision]);
      for (const seen of revisions.values()) expect(seen).toEqual(seen.map((_, index) => index));
      await store.close();
    }
    expect(acknowledged.length).toBeGreaterThan(100);
  }, 60_000);
});

describe('the SQLite store\'s durability settings and checkpoints', () => {
  it('commits with synchronous=FULL unless NORMAL is asked for, and says so in its health', async () => {
    const full = new SqliteEventStore(join(dir, 'full.sqlite'));
    expect(await full.health()).toMatchObject({ ok: true, durability: 'FULL' });
    await full.close();
    const normal = new SqliteEventStore(join(dir, 'normal.sqlite'), { synchronous: 'NORMAL' });
    expect(await normal.health()).toMatchObject({ ok: true, durability: 'NORMAL' });
    await normal.close();
  });

  it('checkpoints the write-ahead log off the write path, so it does not grow with the log', async () => {
    const file = join(dir, 'wal.sqlite');
    const store = new SqliteEventStore(file);
    const payload = 'x'.repeat(400);
    for (let batch = 0; batch < 100; batch++) {
      const events = Array.from({ length: 1000 }, (_, i) => ({ type: 'Filler', data: { i, payload } }));
      await store.append(`agreement-wal-${batch % 5}`, events, { expectedRevision: 'any' });
    }
    await new Promise((resolve) => setTimeout(resolve, 800));
    await store.append('agreement-wal-0', [{ type: 'Filler', data: {} }], { expectedRevision: 'any' });
    // About 44 MB of JSON went in. Without checkpoints the WAL would hold all of it (and the database
    // file would stay empty); with them, most pages have moved into the database file.
    const walBytes = statSync(`${file}-wal`).size;
    const dbBytes = statSync(file).size;
    expect(walBytes).toBeLessThan(40 * 1024 * 1024);
    expect(dbBytes).toBeGreaterThan(40 * 1024 * 1024);
    await store.close();
  }, 60_000);
});
