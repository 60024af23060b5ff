import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMain, printTable, type Figure } from './harness.js';
import { caughtUp, sleep, startRealServer, stopServer } from './real-server.js';
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

async function get(url: string): Promise<unknown> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return response.json();
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
    server = await startRealServer(dataDir, `bench:viewer:${TOKEN}`);
    const pid = server.child.pid!;
    let sampledPeak = 0;
    const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, memoryOf(pid).rssMB)), 100);
    const catchUpSeconds = await caughtUp(server.url, TOKEN, 30 * 60_000);
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
    if (server) await stopServer(server.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  printTable('Server memory (one run)', await runRssBench({ quick: process.argv.includes('--quick') }));
}
