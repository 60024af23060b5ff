import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyEvents } from '../../src/application/verify.js';
import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';
import { writeExport } from './fixtures/export-file.js';

const root = join(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'ledger-import-kill-'));
const dataDir = join(work, 'data');
const killed: { kill: (signal: NodeJS.Signals) => boolean }[] = [];
afterAll(() => {
  for (const child of killed) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

const cli = (...args: string[]) => [process.execPath, ['--import', 'tsx', join(root, 'src/cli/import-log.ts'), ...args]] as const;
const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
const importLog = (...args: string[]) => spawnSync(...cli(...args), { cwd: root, env, encoding: 'utf8', timeout: 120_000 });

/** The log as a reader sees it, every column, and its head. */
async function snapshot(): Promise<{ head: number; log: string; verified: boolean }> {
  const store = new SqliteEventStore(join(dataDir, 'ledger.sqlite'));
  try {
    const events = [];
    for await (const event of store.readAll()) events.push(event);
    const verified = (await verifyEvents(store.readAll(), { contiguousPositions: true })).ok;
    return { head: await store.headPosition(), log: JSON.stringify(events), verified };
  } finally {
    await store.close();
  }
}

describe('npm run import-log, refused or killed half-way', () => {
  it('leaves the store exactly as it was: a file cut short (exit 65), a SIGKILL in the middle of a large import; the same import then completes', async () => {
    const small = join(work, 'small.ndjson');
    await writeExport(small, { events: 200, streams: 4, prefix: 'agreement-small' });
    expect(importLog(small).status).toBe(0);
    const before = await snapshot();
    expect(before).toMatchObject({ head: 200, verified: true });

    const cut = join(work, 'cut.ndjson');
    await writeExport(cut, { events: 3000, streams: 30, prefix: 'agreement-cut', trailer: false });
    const refused = importLog(cut, '--merge');
    expect(refused.status).toBe(65);
    expect(refused.stderr).toMatch(/^refused: line \d+: the file ends without its trailer line: it was cut short; nothing was imported\n$/);
    expect(await snapshot()).toEqual(before);

    const large = join(work, 'large.ndjson');
    await writeExport(large, { events: 100_000, streams: 1000, prefix: 'agreement-large' });
    const child = spawn(...cli(large, '--merge'), { cwd: root, env, stdio: 'ignore' });
    killed.push(child);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    // Killed once the import has written a good part of itself to the WAL, well before it can be done.
    const wal = join(dataDir, 'ledger.sqlite-wal');
    let done = false;
    void exited.then(() => (done = true));
    while (!done && !(existsSync(wal) && statSync(wal).size > 8 * 2 ** 20)) await new Promise((resolve) => setTimeout(resolve, 10));
    child.kill('SIGKILL');
    expect(await exited, 'the import finished before it could be killed').toBe('SIGKILL');
    expect(await snapshot()).toEqual(before);

    const again = importLog(large, '--merge');
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('imported 100000 events, 0 already held');
    expect(await snapshot()).toMatchObject({ head: 100_200, verified: true });
  }, 180_000);
});
