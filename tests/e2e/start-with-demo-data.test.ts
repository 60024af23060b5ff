import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoDatasetPath } from '../../src/application/demo-data.js';

const root = join(import.meta.dirname, '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'ledger-e2e-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const dataset = JSON.parse(readFileSync(demoDatasetPath(), 'utf8')) as { agreements: Array<{ steps: unknown[] }> };
const demoEvents = dataset.agreements.length + dataset.agreements.reduce((sum, a) => sum + a.steps.length, 0);

/** Starts the server as `npm start` does (from source here), on a free port; resolves with its URL. */
function startServer(env: Record<string, string>): Promise<{ url: string; child: ChildProcess; logs: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/server.ts')], {
      cwd: root,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logs: string[] = [];
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${logs.join('\n')}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        logs.push(line);
        const entry = JSON.parse(line) as { msg?: string; address?: string };
        if (entry.msg === 'agreement-ledger is listening') {
          clearTimeout(timer);
          resolve({ url: entry.address!, child, logs });
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${logs.join('\n')}`)));
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

describe('npm start on an empty data directory', () => {
  it('loads the demo data through the command path on first start, and not again on the next', async () => {
    const first = await startServer({});
    const health = await (await fetch(`${first.url}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', store: { adapter: 'sqlite', headPosition: demoEvents } });
    expect(first.logs.some((line) => line.includes('"demo data loaded"'))).toBe(true);
    expect(first.logs.some((line) => line.includes('demo data step refused'))).toBe(false);
    expect(await stop(first.child)).toBe(0);

    const second = await startServer({});
    expect(await (await fetch(`${second.url}/health`)).json()).toMatchObject({ store: { headPosition: demoEvents } });
    expect(second.logs.some((line) => line.includes('demo data not loaded'))).toBe(true);
    expect(await stop(second.child)).toBe(0);
  }, 60_000);

  it('starts empty with DEMO_DATA=false', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'ledger-e2e-empty-'));
    const server = await startServer({ DEMO_DATA: 'false', DATA_DIR: empty });
    expect(await (await fetch(`${server.url}/health`)).json()).toMatchObject({ store: { headPosition: 0 } });
    expect(await stop(server.child)).toBe(0);
    rmSync(empty, { recursive: true, force: true });
  }, 60_000);
});
