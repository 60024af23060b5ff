import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** The real server (`src/server.ts`, embedded store) in a process of its own, for the benchmarks that measure it whole. */
const ROOT = join(import.meta.dirname, '..');

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Starts it on `dataDir` with `tokens` (API_TOKENS) and no demo data; resolves once /health answers. */
export async function startRealServer(dataDir: string, tokens: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/server.ts')], {
    cwd: ROOT,
    env: { ...process.env, EVENT_STORE: 'sqlite', DATA_DIR: dataDir, DEMO_DATA: 'false', API_TOKENS: tokens, LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    if (await fetch(`${url}/health`).then((r) => r.ok, () => false)) return { child, url };
    if (Date.now() > deadline) throw new Error('the server did not answer /health within 60 s');
    await sleep(100);
  }
}

/** Until the register has applied every event: GET /projections until it is live with no lag; the seconds it took. */
export async function caughtUp(url: string, token: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const response = await fetch(`${url}/projections`, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`GET /projections: ${response.status} ${await response.text()}`);
    const register = ((await response.json()) as { projections: Array<{ state: string; lag: { events: number } }> }).projections[0]!;
    if (register.state === 'live' && register.lag.events === 0) return (performance.now() - started) / 1000;
    if (register.state === 'failed') throw new Error('the register failed while catching up');
    if (performance.now() - started > timeoutMs) throw new Error(`the register did not catch up in ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

/** SIGTERM, then SIGKILL if it has not exited within 15 s. */
export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  if (!(await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]))) child.kill('SIGKILL');
}
