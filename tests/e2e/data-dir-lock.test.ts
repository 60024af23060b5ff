import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockDataDir } from '../../src/data-dir/lock.js';
import { startServer, stopServer, type RunningServer } from './server-process.js';

const root = join(import.meta.dirname, '../..');
const dirs: string[] = [];
const servers: RunningServer[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-lock-'));
  dirs.push(dir);
  return dir;
}

async function start(dir: string): Promise<RunningServer> {
  const server = await startServer({ DATA_DIR: dir, DEMO_DATA: 'false' });
  servers.push(server);
  return server;
}

/** A second server on the same directory: how it exits, or that it listened (then it is killed). */
function attempt(dir: string): Promise<{ code: number | null; stderr: string; listened: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/server.ts')], {
      cwd: root,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATA_DIR: dir, DEMO_DATA: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error('the second server neither listened nor exited'))), 30_000);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      if (!chunk.toString().includes('agreement-ledger is listening')) return;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve({ code: null, stderr, listened: true });
    });
    child.on('exit', (code) => (clearTimeout(timer), resolve({ code, stderr, listened: false })));
  });
}

const cli = (dir: string, script: string, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(root, script), ...args], { cwd: root, env: { ...process.env, DATA_DIR: dir, LOG_LEVEL: 'silent' }, encoding: 'utf8' });

describe('one process per data directory', () => {
  it('refuses a second server on the same directory, naming it and the pid holding it; after the first is killed, a new one starts', async () => {
    const dir = dataDir();
    const first = await start(dir);
    const second = await attempt(dir);
    expect(second.listened).toBe(false);
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(`agreement-ledger cannot start: ${dir} is in use by pid ${first.child.pid} (server): one process per data directory\n`);
    // The first is still the one serving the directory.
    expect((await fetch(`${first.url}/health`)).status).toBe(200);

    first.child.removeAllListeners('exit');
    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGKILL');
    await exited;
    const next = await start(dir);
    expect((await fetch(`${next.url}/health`)).status).toBe(200);
    expect(await stopServer(next.child)).toBe(0);
  }, 90_000);

  it('keeps every writing tool out while a server runs (exit 64, naming it), and lets them in once it has stopped', async () => {
    const dir = dataDir();
    const dataset = join(dir, '..', `${dir.split('/').pop()}-dataset.json`);
    writeFileSync(dataset, JSON.stringify({ agreements: [] }));
    dirs.push(dataset);
    const server = await start(dir);
    const expected = `${dir} is in use by pid ${server.child.pid} (server): one process per data directory; stop it first`;
    const refusals = [cli(dir, 'src/cli/rebuild.ts'), cli(dir, 'src/cli/import.ts', dataset), cli(dir, 'src/cli/import-log.ts', dataset)];
    for (const refused of refusals) {
      expect(refused.status).toBe(64);
      expect(refused.stderr).toContain(expected);
    }
    expect(await stopServer(server.child)).toBe(0);
    const rebuild = cli(dir, 'src/cli/rebuild.ts');
    expect(rebuild.stderr).toBe('');
    expect(rebuild.status).toBe(0);
  }, 90_000);

  it("covers the issue's case: of two servers started on one directory only the first runs, and rebuild refuses until none is left", async () => {
    const dir = dataDir();
    const first = await start(dir);
    const second = await attempt(dir);
    expect(second).toMatchObject({ listened: false, code: 1 });
    // The refused start displaced nothing: rebuild still names the first.
    const during = cli(dir, 'src/cli/rebuild.ts');
    expect(during.status).toBe(64);
    expect(during.stderr).toContain(`in use by pid ${first.child.pid} (server)`);
    expect(await stopServer(first.child)).toBe(0);
    const after = cli(dir, 'src/cli/rebuild.ts');
    expect(after.stderr).toBe('');
    expect(after.status).toBe(0);
  }, 90_000);

  it('refuses to start a server while a tool holds the directory, and starts once the tool lets go', async () => {
    const dir = dataDir();
    const tool = lockDataDir(dir, 'rebuild');
    const refused = await attempt(dir);
    expect(refused).toMatchObject({ listened: false, code: 1 });
    expect(refused.stderr).toContain(`in use by pid ${process.pid} (rebuild)`);
    tool.release();
    const server = await start(dir);
    expect(await stopServer(server.child)).toBe(0);
  }, 90_000);
});
