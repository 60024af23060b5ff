import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { CommandHandler } from '../src/application/handle-command.js';
import { MeteredEventStore } from '../src/application/metered-store.js';
import { LedgerMetrics } from '../src/application/metrics.js';
import { SqliteEventStore } from '../src/event-store/sqlite/store.js';
import { isMain, median, paired, printTable, rate, type Figure } from './harness.js';
import { AUTH, startServer, STEP } from './http.js';
import { loadWithLatencies, quantile } from './load.js';
import { RawStore, stepMetadata, WARM_UP } from './store.js';

/**
 * One writer at a time through the product's only write path, at FULL: steps recorded through
 * `CommandHandler` one after another, each awaited, against raw better-sqlite3 writing a
 * comparable row in a transaction of its own; and POST steps over one keep-alive connection
 * (an officer recording steps) against a bare Fastify route doing one insert, same client.
 */

/** The step each command records: the body of the HTTP benches' POST. */
const MEETING = JSON.parse(STEP) as { step: 'meeting_held'; occurredOn: string; body: string };
const MEETING_DATA = { occurredOn: MEETING.occurredOn, body: MEETING.body };
/** Steps go round-robin over this many agreements: about 15 steps each by the end, as real agreements have. */
const AGREEMENTS = 100;
const agreementOf = (i: number) => `eu-writer-${i % AGREEMENTS}`;
const registrationOf = (id: string) => ({ agreementId: id, title: `EU-Writer ${id}`, kind: 'readmission_agreement', parties: ['EU', id] });
const ENTRY_INTO_FORCE = { occurredOn: '2020' };

/** Raw better-sqlite3: the same rows the handler writes (registration, entry into force, meetings), one transaction each. */
function rawRate(file: string, count: number): number {
  const raw = new RawStore(file, 'FULL');
  const heads = new Map<string, number>();
  const append = (id: string, type: string, data: object) => {
    const stream = `agreement-${id}`;
    const head = heads.get(stream);
    raw.append(stream, head ?? null, data, stepMetadata(), type);
    heads.set(stream, (head ?? -1) + 1);
  };
  for (let a = 0; a < AGREEMENTS; a++) {
    append(agreementOf(a), 'AgreementRegistered', registrationOf(agreementOf(a)));
    append(agreementOf(a), 'AgreementEnteredIntoForce', ENTRY_INTO_FORCE);
  }
  for (let i = 0; i < WARM_UP; i++) append(agreementOf(i), 'MeetingHeld', MEETING_DATA);
  const started = performance.now();
  for (let i = 0; i < count; i++) append(agreementOf(i), 'MeetingHeld', MEETING_DATA);
  const result = count / ((performance.now() - started) / 1000);
  raw.db.close();
  return result;
}

/** The product's write path, composed as server.ts composes it: a metered SQLite store under the command handler. */
async function handlerRate(file: string, count: number): Promise<number> {
  const store = new MeteredEventStore(new SqliteEventStore(file, { synchronous: 'FULL' }), new LedgerMetrics());
  const handler = new CommandHandler(store);
  const record = (i: number) => handler.handle(agreementOf(i), { type: 'RecordStep', step: 'meeting_held', data: MEETING_DATA }, stepMetadata());
  for (let a = 0; a < AGREEMENTS; a++) {
    const id = agreementOf(a);
    await handler.handle(id, { type: 'RegisterAgreement', input: registrationOf(id) }, stepMetadata());
    await handler.handle(id, { type: 'RecordStep', step: 'entered_into_force', data: ENTRY_INTO_FORCE }, stepMetadata());
  }
  for (let i = 0; i < WARM_UP; i++) await record(i);
  const result = await rate(count, async () => {
    for (let i = 0; i < count; i++) await record(i);
  });
  await store.close();
  return result;
}

async function handlerFigure(quick: boolean): Promise<Figure> {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-bench-write-path-'));
  const rounds = quick ? 3 : 9;
  const count = quick ? 300 : 1000;
  let fileNo = 0;
  const freshFile = () => join(dir, `store-${fileNo++}.sqlite`);
  try {
    let round = 0;
    let baseline = 0;
    const result = await paired(
      rounds,
      () => (baseline = rawRate(freshFile(), count)),
      async () => {
        const ours = await handlerRate(freshFile(), count);
        console.error(`write path round ${++round}/${rounds}: CommandHandler ${Math.round(ours)} vs raw ${Math.round(baseline)} events/s (${(ours / baseline).toFixed(2)}x)`);
        return ours;
      },
    );
    return {
      name: 'record a step through CommandHandler, 1 writer (FULL)', unit: 'events/s', ...result,
      baselineName: 'raw better-sqlite3, 1 txn/event', target: '>= 0.80x', met: result.ratio >= 0.8, rounds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Slice {
  count: number;
  seconds: number;
  latencies: Float64Array;
}

/** POST steps over one connection, one request at a time, spread over the bench server's 500 agreements. */
async function postOneAtATime(url: string, seconds: number): Promise<Slice> {
  const { result, latencies } = await loadWithLatencies(url, {
    method: 'POST', seconds, connections: 1, headers: AUTH, body: STEP, path: (i) => `/agreements/eu-bench-${i % 500}/steps`,
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`POST, 1 connection: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { count: result['2xx'], seconds, latencies };
}

const rateOf = (slices: Slice[]) => slices.reduce((sum, s) => sum + s.count, 0) / slices.reduce((sum, s) => sum + s.seconds, 0);
const p50Of = (slices: Slice[]) => quantile(Float64Array.from(slices.flatMap((s) => [...s.latencies])).sort(), 0.5);

function kill(child: ChildProcess): void {
  child.removeAllListeners('exit');
  child.kill('SIGKILL');
}

/**
 * Each round starts both servers afresh, warms each, then alternates one-second slices between
 * them (bare, ours, ours, bare, ...) so that the shared disk's drift falls on both alike.
 */
async function oneConnectionFigures(quick: boolean): Promise<Figure[]> {
  const rounds = quick ? 1 : 5;
  const slicesPerServer = quick ? 2 : 4;
  const pairs: Array<{ ours: Slice[]; bare: Slice[] }> = [];
  for (let round = 0; round < rounds; round++) {
    const servers = { bare: await startServer('bare', 'FULL'), ours: await startServer('ours', 'FULL') };
    const slices: { ours: Slice[]; bare: Slice[] } = { ours: [], bare: [] };
    try {
      for (const mode of ['bare', 'ours'] as const) await postOneAtATime(servers[mode].url, 1);
      for (let slice = 0; slice < slicesPerServer; slice++) {
        for (const mode of slice % 2 === 0 ? (['bare', 'ours'] as const) : (['ours', 'bare'] as const)) {
          slices[mode].push(await postOneAtATime(servers[mode].url, 1));
        }
      }
    } finally {
      kill(servers.bare.child);
      kill(servers.ours.child);
    }
    pairs.push(slices);
    console.error(`write path round ${round + 1}/${rounds}: POST, 1 connection ${Math.round(rateOf(slices.ours))} vs ${Math.round(rateOf(slices.bare))} req/s`);
  }
  const ratio = median(pairs.map((p) => rateOf(p.ours) / rateOf(p.bare)));
  return [
    {
      name: 'POST steps/s, 1 connection, one at a time (FULL)', unit: 'req/s', ours: median(pairs.map((p) => rateOf(p.ours))), baseline: median(pairs.map((p) => rateOf(p.bare))),
      baselineName: 'bare Fastify + 1 raw insert, same client', ratio, target: '>= 0.90x', met: ratio >= 0.9, rounds,
    },
    {
      name: 'POST p50, 1 connection', unit: 'ms', ours: median(pairs.map((p) => p50Of(p.ours))), baseline: median(pairs.map((p) => p50Of(p.bare))),
      baselineName: 'bare Fastify + 1 raw insert', ratio: median(pairs.map((p) => p50Of(p.ours) / p50Of(p.bare))), target: 'reported', rounds,
    },
  ];
}

export async function runWritePathBench(options: { quick: boolean; only?: 'handler' | 'http' }): Promise<Figure[]> {
  const figures: Figure[] = [];
  if (options.only !== 'http') figures.push(await handlerFigure(options.quick));
  if (options.only !== 'handler') figures.push(...(await oneConnectionFigures(options.quick)));
  return figures;
}

if (isMain(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const only = process.argv.includes('--handler') ? ('handler' as const) : process.argv.includes('--http') ? ('http' as const) : undefined;
  printTable(`Write path, one writer at a time (${quick ? 'quick' : 'full'} run, median of paired rounds)`, await runWritePathBench({ quick, ...(only ? { only } : {}) }));
}
