import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { isMain, median, printTable, type Figure } from './harness.js';

/**
 * HTTP against a bare Fastify baseline, each server in its own process, autocannon on loopback
 * with 50 connections: recorded steps per second (spread over 500 agreements) and the latency
 * of GET /agreements/{id}.
 */
const AUTH = { authorization: 'Bearer bench-officer-secret-0000000', 'content-type': 'application/json' };
const STEP = JSON.stringify({ step: 'meeting_held', occurredOn: '2021-03', body: 'Joint Readmission Committee' });

function startServer(mode: 'bare' | 'ours', synchronous: string): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'http-server.ts')], {
      env: { ...process.env, MODE: mode, SYNCHRONOUS: synchronous },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout!.once('data', (chunk: Buffer) => resolve({ url: chunk.toString().trim(), child }));
    child.once('exit', (code) => reject(new Error(`bench server (${mode}) exited with ${code}`)));
  });
}

async function load(url: string, options: { method: 'POST' | 'GET'; seconds: number }): Promise<autocannon.Result> {
  let counter = 0;
  return autocannon({
    url,
    connections: 50,
    duration: options.seconds,
    requests: [{
      method: options.method,
      headers: AUTH,
      ...(options.method === 'POST' ? { body: STEP } : {}),
      setupRequest: (request) => {
        const agreement = counter++ % 500;
        return { ...request, path: options.method === 'POST' ? `/agreements/eu-bench-${agreement}/steps` : `/agreements/eu-bench-${agreement}` };
      },
    }],
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
    const result = await load(url, { method, seconds });
    if (watcher) lastLag = await watcher.stop();
    const good = method === 'POST' ? result['2xx'] : result['2xx'];
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${mode} ${method}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return { rate: good / seconds, p50: result.latency.p50, p99: result.latency.p99 };
  } finally {
    child.removeAllListeners('exit');
    child.kill('SIGKILL');
  }
}

export async function runHttpBench(options: { quick: boolean; synchronous?: string }): Promise<Figure[]> {
  const synchronous = options.synchronous ?? 'FULL';
  const rounds = options.quick ? 1 : 3;
  const seconds = options.quick ? 2 : 5;
  const writes: Array<[number, number]> = [];
  const reads: Array<{ bare: { p50: number; p99: number }; ours: { p50: number; p99: number } }> = [];
  const paced: Array<{ bare: { p50: number; p99: number }; ours: { p50: number; p99: number } }> = [];
  for (let round = 0; round < rounds; round++) {
    const bareWrite = await measure('bare', 'POST', seconds, synchronous);
    const oursWrite = await measure('ours', 'POST', seconds, synchronous);
    writes.push([oursWrite.rate, bareWrite.rate]);
    const bareRead = await measure('bare', 'GET', seconds, synchronous);
    const oursRead = await measure('ours', 'GET', seconds, synchronous);
    reads.push({ bare: bareRead, ours: oursRead });
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
      name: 'GET p99, 1 connection, sequential', unit: 'ms', ours: median(paced.map((r) => r.ours.p99)), baseline: median(paced.map((r) => r.bare.p99)),
      baselineName: 'bare Fastify GET, same way', ratio: median(paced.map((r) => r.ours.p99 / r.bare.p99)), target: 'reported', rounds,
    },
    {
      name: 'GET p50, 1 connection, sequential', unit: 'ms', ours: median(paced.map((r) => r.ours.p50)), baseline: median(paced.map((r) => r.bare.p50)),
      baselineName: 'bare Fastify GET, same way', ratio: median(paced.map((r) => r.ours.p50 / r.bare.p50)), target: 'reported', rounds,
    },
    {
      name: 'GET /agreements/{id} p50, 50 connections', unit: 'ms', ours: median(reads.map((r) => r.ours.p50)), baseline: median(reads.map((r) => r.bare.p50)),
      baselineName: 'bare Fastify GET', ratio: median(reads.map((r) => r.ours.p50 / Math.max(r.bare.p50, 1))), target: 'reported', rounds,
    },
  ];
}

if (isMain(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  printTable('HTTP (median of rounds; each server in its own process)', await runHttpBench({ quick, synchronous: process.argv.includes('--normal') ? 'NORMAL' : 'FULL' }));
}
