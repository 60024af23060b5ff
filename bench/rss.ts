import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMain, printTable, type Figure } from './harness.js';
import { fillLog } from './rebuild.js';

/**
 * The memory of the real server (`src/server.ts`, embedded store) holding a large log: 10,000
 * agreements and 1,000,000 events written straight into its SQLite file, the server started on
 * it as a child process, left to catch its register up from zero, then read through its API.
 * Peak RSS is the kernel's high-water mark (VmHWM in /proc/<pid>/status).
 */
const TOKEN = 'bench-viewer-secret-000000000';
const ROOT = join(import.meta.dirname, '..');
const TARGET_MB = 300;

interface Memory {
  rssMB: number;
  peakMB: number;
  /** RSS split: the heap and other private memory, and mapped files (code, shared libraries). */
  anonMB: number;
  fileMB: number;
}

function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kB = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMB: kB('VmRSS') / 1024, peakMB: kB('VmHWM') / 1024, anonMB: kB('RssAnon') / 1024, fileMB: kB('RssFile') / 1024 };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/server.ts')], {
    cwd: ROOT,
    env: {
      ...process.env, EVENT_STORE: 'sqlite', DATA_DIR: dataDir, DEMO_DATA: 'false', API_TOKENS: `bench:viewer:${TOKEN}`,
      LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1',
    },
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

async function get(url: string): Promise<unknown> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Until the register has applied every event: GET /projections until it is live with no lag. */
async function caughtUp(url: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const body = (await get(`${url}/projections`)) as { projections: Array<{ state: string; lag: { events: number } }> };
    const register = body.projections[0]!;
    if (register.state === 'live' && register.lag.events === 0) return (performance.now() - started) / 1000;
    if (register.state === 'failed') throw new Error('the register failed while catching up');
    if (performance.now() - started > timeoutMs) throw new Error(`the register did not catch up in ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

/** What people ask the server: register pages, single agreements, every dashboard; memory after each. */
async function driveReads(url: string, agreements: number, pid: number): Promise<{ requests: number; phases: Array<[string, Memory]> }> {
  const phases: Array<[string, Memory]> = [];
  let requests = 0;
  for (let page = 0; page < 5; page++, requests++) await get(`${url}/agreements?limit=50`);
  phases.push(['5 x GET /agreements?limit=50', memoryOf(pid)]);
  const sample = Math.min(1000, agreements);
  for (let i = 0; i < sample; i++, requests++) await get(`${url}/agreements/eu-bench-${Math.floor((i * agreements) / sample)}`);
  phases.push([`${sample} x GET /agreements/{id}`, memoryOf(pid)]);
  // The calendar of 2020, a year without generated steps: every round of every agreement falls on
  // one day of 2019, and the calendar of 2019 answers them all at once (30 MB per 1,000 agreements).
  const dashboards = ['pipeline', 'partners', 'durations', 'stalled', 'calendar?from=2020&to=2020'];
  for (let round = 0; round < 3; round++) for (const path of dashboards) await get(`${url}/dashboard/${path}`), requests++;
  phases.push([`3 x each of ${dashboards.length} dashboards`, memoryOf(pid)]);
  return { requests, phases };
}

const mb = (m: Memory) => `RSS ${m.rssMB.toFixed(0)} MB (anon ${m.anonMB.toFixed(0)}, file ${m.fileMB.toFixed(0)}), peak ${m.peakMB.toFixed(0)} MB`;

/** Peak RSS of a process that loads nothing: `node --import tsx` idling. */
async function bareNode(): Promise<Memory> {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', 'setInterval(() => {}, 1000)'], { cwd: ROOT, stdio: 'ignore' });
  await sleep(1500);
  const memory = memoryOf(child.pid!);
  child.kill('SIGKILL');
  return memory;
}

export async function runRssBench(options: { quick: boolean }): Promise<Figure[]> {
  const agreements = options.quick ? 500 : 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'ledger-bench-rss-'));
  let server: { child: ChildProcess; url: string } | undefined;
  try {
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    const total = fillLog(join(dataDir, 'ledger.sqlite'), agreements, 100);
    const bare = await bareNode();
    server = await startServer(dataDir);
    const pid = server.child.pid!;
    let sampledPeak = 0;
    const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, memoryOf(pid).rssMB)), 100);
    const catchUpSeconds = await caughtUp(server.url, 30 * 60_000);
    const afterCatchUp = memoryOf(pid);
    const { requests, phases } = await driveReads(server.url, agreements, pid);
    clearInterval(sampler);
    const end = memoryOf(pid);
    const size = `${total.toLocaleString('en-GB')} events / ${agreements.toLocaleString('en-GB')} agreements`;
    console.log(`\nServer memory, ${size} (bare node: ${mb(bare)}):`);
    console.log(`  register caught up from zero in ${catchUpSeconds.toFixed(1)} s: ${mb(afterCatchUp)}`);
    for (const [phase, memory] of phases) console.log(`  after ${phase}: ${mb(memory)}`);
    console.log(`  highest RSS sampled every 100 ms: ${sampledPeak.toFixed(0)} MB`);
    return [
      {
        name: `server peak RSS (VmHWM), ${size}`, unit: 'MB', ours: end.peakMB, baseline: bare.peakMB,
        baselineName: 'bare `node --import tsx`, idle', ratio: end.peakMB / bare.peakMB,
        target: `< ${TARGET_MB} MB (absolute)`, met: end.peakMB < TARGET_MB, rounds: 1,
      },
      {
        name: `server RSS after catch-up and ${requests} reads`, unit: 'MB', ours: end.rssMB, baseline: afterCatchUp.rssMB,
        baselineName: 'RSS right after catch-up', ratio: end.rssMB / afterCatchUp.rssMB, target: 'reported', rounds: 1,
      },
    ];
  } finally {
    if (server) await stop(server.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  if (!(await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]))) child.kill('SIGKILL');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

if (isMain(import.meta.url)) {
  printTable('Server memory (one run)', await runRssBench({ quick: process.argv.includes('--quick') }));
}
