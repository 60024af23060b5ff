import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { isMain, median, printTable, type Figure } from './harness.js';
import { loadWithLatencies } from './load.js';
import { caughtUp, sleep, startRealServer, stopServer } from './real-server.js';
import { fillLog } from './rebuild.js';

/**
 * Writes while the live feed serves a thousand dashboards. Two real servers (`src/server.ts`),
 * each on its own copy of the generated log, one followed by 1,000 viewers (quick: 200) on
 * `GET /events/live` over loopback, the other by none; autocannon posts steps with 50 connections to each in turn,
 * one second at a time. The viewers run in a process of their own (this file, `--subscribers`),
 * reading every byte, so that neither they nor autocannon share a server's event loop.
 */
const OFFICER = 'bench-officer-secret-000000000';
const VIEWER = 'bench-viewer-secret-0000000000';
const STEP = JSON.stringify({ step: 'meeting_held', occurredOn: '2021-03', body: 'Joint Readmission Committee' });
/** Writes go to this many agreements of the log, each rehydrated once in the warm-up. */
const WRITTEN_AGREEMENTS = 100;

/** Steps posted with 50 connections for `seconds`: acknowledged writes per second and their p99 (autocannon's, whole ms). */
interface Written {
  rate: number;
  p99: number;
  acknowledged: number;
}

async function writeLoad(url: string, seconds: number): Promise<Written> {
  const { result } = await loadWithLatencies(url, {
    method: 'POST',
    seconds,
    headers: { authorization: `Bearer ${OFFICER}`, 'content-type': 'application/json' },
    body: STEP,
    path: (i) => `/agreements/eu-bench-${i % WRITTEN_AGREEMENTS}/steps`,
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`writes: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rate: result['2xx'] / seconds, p99: result.latency.p99, acknowledged: result['2xx'] };
}

/** The real server on `dataDir`, once its register has caught up with the generated log. */
async function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const server = await startRealServer(dataDir, `desk:officer:${OFFICER},wall:viewer:${VIEWER}`);
  await caughtUp(server.url, OFFICER, 30 * 60_000);
  return server;
}

/** What the subscribers got: the fewest frames one of those counting got, the fewest and most bytes any got. */
interface Delivered {
  frames: number;
  bytes: number;
  mostBytes: number;
}

/** A process holding `count` viewers on the live feed; says "ready" once all are open, and their frame counts when told to stop. */
async function startSubscribers(url: string, count: number): Promise<{ stop: () => Promise<Delivered> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--subscribers', url, String(count)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.value !== 'ready') throw new Error(`the subscribers said ${String(first.value)}`);
  return {
    stop: async () => {
      child.stdin!.end('stop\n');
      const counts = await lines.next();
      child.kill('SIGKILL');
      return JSON.parse(String(counts.value)) as Delivered;
    },
  };
}

/**
 * The subscribers' process: `count` loopback connections reading every byte as it comes, plain
 * sockets without an HTTP parser, reading into one shared buffer: the least a client can do, so
 * that what the machine spends is the server's. Every tenth also counts the frames it got
 * (counting costs more than reading); all count their bytes, which tells whether the others got as
 * much.
 */
async function runSubscribers(url: string, count: number): Promise<void> {
  const target = new URL('/events/live', url);
  const frames: number[] = [];
  const bytes = new Array<number>(count).fill(0);
  // Every frame follows a blank line. A marker cut in two by a chunk boundary is found in the
  // few bytes either side of it.
  const marker = Buffer.from('\nid: ');
  const edge = marker.length - 1;
  const readBuffer = Buffer.alloc(256 * 1024);
  const countIn = (text: Buffer) => {
    let found = 0;
    for (let at = text.indexOf(marker); at !== -1; at = text.indexOf(marker, at + 1)) found++;
    return found;
  };
  await Promise.all(bytes.map((_, index) => new Promise<void>((resolve, reject) => {
    const counting = index % 10 === 0 ? frames.push(0) - 1 : undefined;
    let tail: Buffer | undefined;
    let started = false;
    // Read into one buffer, reused: no allocation per read.
    const socket = connect({
      host: target.hostname,
      port: Number(target.port),
      onread: {
        buffer: readBuffer,
        callback: (length: number, buffer: Uint8Array) => {
          const chunk = Buffer.from(buffer.buffer, buffer.byteOffset, length);
          if (!started) {
            started = true;
            if (chunk.subarray(0, 12).toString() !== 'HTTP/1.1 200') reject(new Error(`subscriber ${index}: ${chunk.subarray(0, 40).toString()}`));
            else resolve();
          }
          bytes[index]! += length;
          if (counting !== undefined) {
            frames[counting]! += countIn(chunk) + (tail ? countIn(Buffer.concat([tail, chunk.subarray(0, edge)])) : 0);
            tail = Buffer.from(chunk.subarray(Math.max(0, length - edge)));
          }
          return true;
        },
      },
    });
    socket.on('error', reject);
    socket.on('connect', () => socket.write(`GET ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nAuthorization: Bearer ${VIEWER}\r\n\r\n`));
  })));
  process.stdout.write('ready\n');
  for await (const _line of createInterface({ input: process.stdin })) break;
  process.stdout.write(`${JSON.stringify({ frames: Math.min(...frames), bytes: Math.min(...bytes), mostBytes: Math.max(...bytes) })}\n`);
}

export async function runLiveBench(options: { quick: boolean }): Promise<Figure[]> {
  const agreements = options.quick ? 500 : 10_000;
  const subscribers = options.quick ? 200 : 1000;
  const slices = options.quick ? 4 : 12;
  const dir = mkdtempSync(join(tmpdir(), 'ledger-bench-live-'));
  const servers: Array<{ child: ChildProcess; url: string }> = [];
  try {
    const dataDirs = ['quiet', 'followed'].map((name) => join(dir, name));
    for (const dataDir of dataDirs) mkdirSync(dataDir);
    const total = fillLog(join(dataDirs[0]!, 'ledger.sqlite'), agreements, 100);
    copyFileSync(join(dataDirs[0]!, 'ledger.sqlite'), join(dataDirs[1]!, 'ledger.sqlite'));
    for (const dataDir of dataDirs) servers.push(await startServer(dataDir));
    const [quiet, followed] = servers as [{ child: ChildProcess; url: string }, { child: ChildProcess; url: string }];
    // Warm-up: each written agreement rehydrated once, JIT, WAL.
    for (const server of servers) await writeLoad(server.url, 3);
    const feed = await startSubscribers(followed.url, subscribers);
    const pairs: Array<{ none: Written; many: Written }> = [];
    let acknowledged = 0;
    for (let slice = 0; slice < slices; slice++) {
      // One second on each server in turn, the order alternating: a burst of the machine's other
      // work falls into slices of both, not into one side's whole run.
      const order = slice % 2 === 0 ? [quiet, followed] : [followed, quiet];
      const [a, b] = [await writeLoad(order[0]!.url, 1), await writeLoad(order[1]!.url, 1)];
      const [none, many] = order[0] === quiet ? [a, b] : [b, a];
      pairs.push({ none, many });
      acknowledged += many.acknowledged;
    }
    // What was written reached every subscriber: the feed paces itself, so give it a moment.
    await sleep(1500);
    const delivered = await feed.stop();
    const ratio = median(pairs.map((pair) => pair.many.rate / pair.none.rate));
    console.error(
      `live: ${slices} one-second slices each: ${pairs.map((pair) => `${Math.round(pair.none.rate)}/${Math.round(pair.many.rate)}`).join(' ')} writes/s (none/${subscribers} subscribers); ` +
      `each subscriber counting got at least ${delivered.frames} frames for ${acknowledged} writes, each subscriber ${delivered.bytes}-${delivered.mostBytes} bytes`,
    );
    // Chunk framing differs a little between a client that caught up and one that did not.
    if (delivered.frames < acknowledged || delivered.bytes < 0.99 * delivered.mostBytes) throw new Error(`the subscribers did not get every frame: ${JSON.stringify(delivered)}`);
    const size = `${total.toLocaleString('en-GB')} events`;
    return [
      {
        name: `POST steps/s with ${subscribers.toLocaleString('en-GB')} SSE subscribers, ${size}`, unit: 'req/s',
        ours: median(pairs.map((pair) => pair.many.rate)), baseline: median(pairs.map((pair) => pair.none.rate)),
        baselineName: 'the same server and log, no subscriber', ratio, target: '>= 0.80x', met: ratio >= 0.8, rounds: slices,
      },
      {
        name: `POST p99 with ${subscribers.toLocaleString('en-GB')} SSE subscribers (whole ms)`, unit: 'ms',
        ours: median(pairs.map((pair) => pair.many.p99)), baseline: median(pairs.map((pair) => pair.none.p99)),
        baselineName: 'the same server and log, no subscriber', ratio: median(pairs.map((pair) => pair.many.p99 / Math.max(pair.none.p99, 1))), target: 'reported', rounds: slices,
      },
    ];
  } finally {
    for (const server of servers) await stopServer(server.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--subscribers') {
  await runSubscribers(process.argv[3]!, Number(process.argv[4]));
} else if (isMain(import.meta.url)) {
  printTable('Live feed (two real servers on the generated log; 50 writers)', await runLiveBench({ quick: process.argv.includes('--quick') }));
}
