import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMain, median, printTable, type Figure } from './harness.js';
import { loadWithLatencies, quantile, type Loaded } from './load.js';

/**
 * HTTP against a bare Fastify baseline, each server in its own process, autocannon on loopback
 * with 50 connections: recorded steps per second (spread over 500 agreements) and the latency
 * of GET /agreements/{id}. Latencies are each response's own time as autocannon's client took it
 * (fractional milliseconds, see `load`), the GETs of both servers in interleaved slices (see
 * `measureReads`). Per round, the figures go to stderr as they are measured.
 */
export const AUTH = { authorization: 'Bearer bench-officer-secret-0000000', 'content-type': 'application/json' };
export const STEP = JSON.stringify({ step: 'meeting_held', occurredOn: '2021-03', body: 'Joint Readmission Committee' });

/**
 * Each server's files, removed once it is gone: it is killed (SIGKILL), so it cannot remove them
 * itself, and left behind they were 25-30 MB a server, a dozen servers a run.
 */
const serverDirs = new Set<string>();
process.once('exit', () => {
  for (const dir of serverDirs) rmSync(dir, { recursive: true, force: true });
});

/** 50 connections of POST steps or GET agreements, spread over the 500 agreements the bench server has. */
const load = (url: string, options: { method: 'POST' | 'GET'; seconds: number }) =>
  loadWithLatencies(url, { ...options, headers: AUTH, ...(options.method === 'POST' ? { body: STEP } : {}), path: (i) => (options.method === 'POST' ? `/agreements/eu-bench-${i % 500}/steps` : `/agreements/eu-bench-${i % 500}`) });

export function startServer(mode: 'bare' | 'ours', synchronous: string): Promise<{ url: string; child: ChildProcess }> {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-bench-http-'));
  serverDirs.add(dir);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'http-server.ts')], {
      env: { ...process.env, MODE: mode, SYNCHRONOUS: synchronous, BENCH_DIR: dir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.once('close', () => {
      rmSync(dir, { recursive: true, force: true });
      serverDirs.delete(dir);
    });
    child.stdout!.once('data', (chunk: Buffer) => resolve({ url: chunk.toString().trim(), child }));
    child.once('exit', (code) => reject(new Error(`bench server (${mode}) exited with ${code}`)));
  });
}

/** 3,000 GETs one after another on one keep-alive connection, after 300 to warm up; latency in ms. */
async function sequentialLatency(mode: 'bare' | 'ours', synchronous: string): Promise<{ p50: number; p99: number }> {
  const { url, child } = await startServer(mode, synchronous);
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = (i: number) =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      const req = request({ host: target.hostname, port: target.port, path: `/agreements/eu-bench-${i % 500}`, agent, headers: AUTH }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`${mode}: ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end();
    });
  try {
    for (let i = 0; i < 300; i++) await get(i);
    const latencies: number[] = [];
    for (let i = 0; i < 3000; i++) latencies.push(await get(i));
    latencies.sort((a, b) => a - b);
    return { p50: latencies[1500]!, p99: latencies[2970]! };
  } finally {
    agent.destroy();
    child.removeAllListeners('exit');
    child.kill('SIGKILL');
  }
}

/** Polls GET /projections while writes run: how far the register trails the log. */
function watchLag(url: string): { stop: () => Promise<{ maxEvents: number; p50Events: number; maxSeconds: number }> } {
  const samples: Array<{ events: number; seconds: number }> = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const response = await fetch(`${url}/projections`, { headers: AUTH });
      const body = (await response.json()) as { projections: Array<{ lag: { events: number; seconds: number } }> };
      samples.push(body.projections[0]!.lag);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      const events = samples.map((s) => s.events);
      return { maxEvents: Math.max(0, ...events), p50Events: median(events), maxSeconds: Math.max(0, ...samples.map((s) => s.seconds)) };
    },
  };
}

let lastLag: { maxEvents: number; p50Events: number; maxSeconds: number } | undefined;

async function measure(mode: 'bare' | 'ours', method: 'POST' | 'GET', seconds: number, synchronous: string) {
  const { url, child } = await startServer(mode, synchronous);
  try {
    await load(url, { method, seconds: 1 }); // warm-up: JIT, caches, WAL
    const watcher = mode === 'ours' && method === 'POST' ? watchLag(url) : undefined;
    const { result, latencies } = await load(url, { method, seconds });
    if (watcher) lastLag = await watcher.stop();
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${mode} ${method}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return {
      rate: result['2xx'] / seconds,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
    };
  } finally {
    child.removeAllListeners('exit');
    child.kill('SIGKILL');
  }
}

interface ReadFigures {
  rate: number;
  p50: number;
  p99: number;
  /** p99 cut to whole milliseconds, the resolution autocannon's own histogram reports. */
  wholeMsP99: number;
}

/**
 * GET latency of both servers under 50 connections, measured in alternating one-second slices
 * (bare, ours, ours, bare, ...) after both are started and warmed. The machine is shared with
 * other work: a burst of someone else's load now falls into slices of both servers instead of
 * into one server's whole run, which made single runs range from 0.1x to 2.4x. Each server's
 * percentiles are read off all its slices' latencies together. Both processes run unpinned, as a
 * deployment would run them; pinning the server and autocannon to a core each would not keep the
 * rest of the machine's work off those cores either.
 */
async function measureReads(seconds: number, synchronous: string): Promise<{ bare: ReadFigures; ours: ReadFigures }> {
  const servers = { bare: await startServer('bare', synchronous), ours: await startServer('ours', synchronous) };
  const slices: Record<'bare' | 'ours', Loaded[]> = { bare: [], ours: [] };
  try {
    for (const mode of ['bare', 'ours'] as const) await load(servers[mode].url, { method: 'GET', seconds: 1 }); // warm-up
    for (let slice = 0; slice < seconds; slice++) {
      // The order alternates too, so that neither server always runs right after the other.
      for (const mode of slice % 2 === 0 ? (['bare', 'ours'] as const) : (['ours', 'bare'] as const)) {
        const loaded = await load(servers[mode].url, { method: 'GET', seconds: 1 });
        if (loaded.result.non2xx > 0 || loaded.result.errors > 0) throw new Error(`${mode} GET: ${loaded.result.non2xx} non-2xx, ${loaded.result.errors} errors`);
        slices[mode].push(loaded);
      }
    }
  } finally {
    for (const { child } of Object.values(servers)) {
      child.removeAllListeners('exit');
      child.kill('SIGKILL');
    }
  }
  const figures = (loaded: Loaded[]): ReadFigures => {
    const latencies = new Float64Array(loaded.reduce((sum, { latencies }) => sum + latencies.length, 0));
    let offset = 0;
    for (const slice of loaded) {
      latencies.set(slice.latencies, offset);
      offset += slice.latencies.length;
    }
    latencies.sort();
    const p99 = quantile(latencies, 0.99);
    return { rate: latencies.length / loaded.length, p50: quantile(latencies, 0.5), p99, wholeMsP99: Math.floor(p99) };
  };
  return { bare: figures(slices.bare), ours: figures(slices.ours) };
}

export async function runHttpBench(options: { quick: boolean; synchronous?: string }): Promise<Figure[]> {
  const synchronous = options.synchronous ?? 'FULL';
  const rounds = options.quick ? 1 : 3;
  const seconds = options.quick ? 2 : 5;
  const writes: Array<[number, number]> = [];
  const reads: Array<{ bare: ReadFigures; ours: ReadFigures }> = [];
  const paced: Array<{ bare: { p50: number; p99: number }; ours: { p50: number; p99: number } }> = [];
  for (let round = 0; round < rounds; round++) {
    const bareWrite = await measure('bare', 'POST', seconds, synchronous);
    const oursWrite = await measure('ours', 'POST', seconds, synchronous);
    writes.push([oursWrite.rate, bareWrite.rate]);
    const { bare: bareRead, ours: oursRead } = await measureReads(seconds, synchronous);
    reads.push({ bare: bareRead, ours: oursRead });
    const ms = (value: number) => value.toFixed(2);
    console.error(
      `http round ${round + 1}/${rounds}: POST ${Math.round(oursWrite.rate)} vs ${Math.round(bareWrite.rate)} req/s (${(oursWrite.rate / bareWrite.rate).toFixed(2)}x); ` +
      `GET ours p50 ${ms(oursRead.p50)} p99 ${ms(oursRead.p99)} ms (${Math.round(oursRead.rate)} req/s), bare p50 ${ms(bareRead.p50)} p99 ${ms(bareRead.p99)} ms (${Math.round(bareRead.rate)} req/s), ` +
      `p99 ratio ${(oursRead.p99 / bareRead.p99).toFixed(2)}x (whole ms: ${oursRead.wholeMsP99}/${bareRead.wholeMsP99})`,
    );
    // One connection, one request at a time: the latency of the work itself, without queueing.
    paced.push({ bare: await sequentialLatency('bare', synchronous), ours: await sequentialLatency('ours', synchronous) });
  }
  const writeRatio = median(writes.map(([ours, bare]) => ours / bare));
  const lag = lastLag ?? { maxEvents: 0, p50Events: 0, maxSeconds: 0 };
  const p99Ratio = median(reads.map((r) => r.ours.p99 / r.bare.p99));
  return [
    {
      name: `POST steps/s, 50 connections (${synchronous})`, unit: 'req/s', ours: median(writes.map(([o]) => o)), baseline: median(writes.map(([, b]) => b)),
      baselineName: 'bare Fastify + 1 raw insert', ratio: writeRatio, target: '>= 1.00x', met: writeRatio >= 1, rounds,
    },
    {
      name: 'register lag during those writes (max; events)', unit: 'events', ours: lag.maxEvents, baseline: lag.p50Events,
      baselineName: 'median lag, same run', ratio: lag.maxSeconds, target: 'reported (ratio column: max seconds)', rounds: 1,
    },
    {
      name: 'GET /agreements/{id} p99, 50 connections', unit: 'ms', ours: median(reads.map((r) => r.ours.p99)), baseline: median(reads.map((r) => r.bare.p99)),
      baselineName: 'bare Fastify GET, same body', ratio: p99Ratio, target: '<= 1.50x', met: p99Ratio <= 1.5, rounds,
    },
    {
      name: 'GET p99, 50 connections, in whole ms (autocannon\'s resolution)', unit: 'ms', ours: median(reads.map((r) => r.ours.wholeMsP99)), baseline: median(reads.map((r) => r.bare.wholeMsP99)),
      baselineName: 'bare Fastify GET, same runs', ratio: median(reads.map((r) => r.ours.wholeMsP99 / Math.max(r.bare.wholeMsP99, 1))), target: 'reported', rounds,
    },
    {
      name: 'GET p99, 1 connection, sequential', unit: 'ms', ours: median(paced.map((r) => r.ours.p99)), baseline: median(paced.map((r) => r.bare.p99)),
      baselineName: 'bare Fastify GET, same way', ratio: median(paced.map((r) => r.ours.p99 / r.bare.p99)), target: 'reported', rounds,
    },
    {
      name: 'GET p50, 1 connection, sequential', unit: 'ms', ours: median(paced.map((r) => r.ours.p50)), baseline: median(paced.map((r) => r.bare.p50)),
      baselineName: 'bare Fastify GET, same way', ratio: median(paced.map((r) => r.ours.p50 / r.bare.p50)), target: 'reported', rounds,
    },
    {
      name: 'GET /agreements/{id} p50, 50 connections', unit: 'ms', ours: median(reads.map((r) => r.ours.p50)), baseline: median(reads.map((r) => r.bare.p50)),
      baselineName: 'bare Fastify GET', ratio: median(reads.map((r) => r.ours.p50 / r.bare.p50)), target: 'reported', rounds,
    },
  ];
}

if (isMain(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  printTable('HTTP (median of rounds; each server in its own process)', await runHttpBench({ quick, synchronous: process.argv.includes('--normal') ? 'NORMAL' : 'FULL' }));
}
