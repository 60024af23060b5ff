import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { demoDatasetPath } from '../../src/application/demo-data.js';
import { startServer as startProcess, stopServer, type RunningServer } from './server-process.js';

const root = join(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'ledger-private-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
// A test that fails before stopping its server must not leave it running.
const running: RunningServer[] = [];
afterEach(() => {
  for (const server of running.splice(0)) if (server.child.exitCode === null) server.child.kill('SIGKILL');
});
async function startServer(env: Record<string, string>): Promise<RunningServer> {
  const server = await startProcess(env);
  running.push(server);
  return server;
}

const FILES = ['ledger.sqlite', 'ledger.sqlite-wal', 'ledger.sqlite-shm', 'read-models.sqlite', 'read-models.sqlite-wal', 'read-models.sqlite-shm', 'api-tokens.json', 'lock.sqlite', 'lock.pid'];
const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);
const modes = (dir: string, names: string[]) => Object.fromEntries([['.', modeOf(dir)], ...names.map((name) => [name, modeOf(join(dir, name))])]);
const only = (mode: string, names: string[]) => Object.fromEntries([['.', '700'], ...names.map((name) => [name, mode])]);

describe('the data directory and its files', () => {
  it('are made readable by their owner only (0700, 0600), and the generated tokens are not printed to a pipe', async () => {
    const dataDir = join(work, 'fresh');
    const server = await startServer({ DATA_DIR: dataDir });
    // While it runs, every file is there, the SQLite -wal and -shm files included.
    expect(modes(dataDir, FILES)).toEqual(only('600', FILES));
    const tokens = JSON.parse(readFileSync(join(dataDir, 'api-tokens.json'), 'utf8')) as Array<{ secret: string }>;
    const output = server.logs.join('\n');
    for (const { secret } of tokens) expect(output).not.toContain(secret);
    expect(output).toContain(`read them with: cat ${join(dataDir, 'api-tokens.json')}`);
    expect(await stopServer(server.child)).toBe(0);
    expect(existsSync(join(dataDir, 'lock.pid'))).toBe(false);
  }, 60_000);

  it('tightens files an older version left readable by others, once, with a warning', async () => {
    const dataDir = join(work, 'older');
    expect(await stopServer((await startServer({ DATA_DIR: dataDir })).child)).toBe(0);
    const left = ['ledger.sqlite', 'read-models.sqlite', 'api-tokens.json'];
    chmodSync(dataDir, 0o755);
    for (const name of left) chmodSync(join(dataDir, name), 0o644);

    const server = await startServer({ DATA_DIR: dataDir });
    expect(modes(dataDir, left)).toEqual(only('600', left));
    const warnings = server.logs.filter((line) => line.includes('readable by others'));
    expect(warnings).toHaveLength(1);
    const { files } = JSON.parse(warnings[0]!) as { files: Array<{ path: string; mode: string }> };
    expect(files).toEqual(expect.arrayContaining([{ path: dataDir, mode: '0755' }, ...left.map((name) => ({ path: join(dataDir, name), mode: '0644' }))]));
    expect(await stopServer(server.child)).toBe(0);

    const again = await startServer({ DATA_DIR: dataDir });
    expect(again.logs.some((line) => line.includes('readable by others'))).toBe(false);
    expect(await stopServer(again.child)).toBe(0);
  }, 90_000);

  it('are private when a tool makes them too', () => {
    const dataDir = join(work, 'imported');
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/import.ts'), demoDatasetPath()], {
      cwd: root,
      env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(modes(dataDir, ['ledger.sqlite', 'lock.sqlite'])).toEqual(only('600', ['ledger.sqlite', 'lock.sqlite']));
  }, 60_000);
});
