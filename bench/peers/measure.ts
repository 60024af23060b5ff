import { join } from 'node:path';
import { paired, rate, type Figure } from '../harness.js';
import { concurrentWriters, errorKind, idsIn, type ConcurrentOutcome } from './concurrent.js';
import type { EmmettSqlite } from './emmett.js';
import { stepEvent, stepEvents, type BenchEvent } from './events.js';
import { emmett, ours, PAGE, type Side } from './sides.js';

/**
 * Ours against Emmett's SQLite event store on identical events, both on files in one temporary
 * directory, both at their defaults, in paired rounds (Emmett first, then ours, each round).
 */
export interface PeersResult {
  durability: { ours: string; emmett: string };
  figures: Figure[];
  /** Appends that failed one at a time (then checked and retried), by side and kind, over all sequential phases. */
  sequentialErrors: { ours: Errors; emmett: Errors; appends: number };
  concurrency: Array<{ variant: string; ours: ConcurrentOutcome; emmett: ConcurrentOutcome }>;
}

type Errors = Record<string, number>;

export async function runPeersBench(lib: EmmettSqlite, dir: string, options: { quick: boolean }): Promise<PeersResult> {
  const quick = options.quick;
  const rounds = quick ? 3 : 5;
  let fileNo = 0;
  const fresh = (name: string) => join(dir, `${name}-${fileNo++}.sqlite`);
  const durability = await describeDurability(lib, fresh);
  const theirs = `Emmett 0.38.5 (${durability.emmett})`;
  const target = '> 1.00x (ahead)';
  const figures: Figure[] = [];
  const sequentialErrors = { ours: {} as Errors, emmett: {} as Errors, appends: 0 };
  const { ours: ourErrors, emmett: emmettErrors } = sequentialErrors;

  // 1. One writer, one event per append, each with the exact expected version.
  const appends = quick ? 200 : 500;
  const warmUp = quick ? 100 : 500;
  let events: BenchEvent[] = [];
  const single = await paired(
    rounds,
    () => appendRate(emmett(lib, fresh('emmett')), warmUp, (events = stepEvents(appends)), emmettErrors),
    () => appendRate(ours(fresh('ours')), warmUp, events, ourErrors),
  );
  figures.push({ name: `append, 1 writer, expected version (ours: ${durability.ours})`, unit: 'events/s', ...single, baselineName: theirs, target, met: single.ratio > 1, rounds });

  // 2. A 1,000-event stream read whole, again and again.
  const reads = quick ? 30 : 100;
  const streamEvents = stepEvents(1000);
  const [emmettReads, ourReads] = [emmett(lib, fresh('emmett')), ours(fresh('ours'))];
  for (let from = 0; from < 1000; from += 100) {
    await appendSurely(emmettReads, 'agreement-read', streamEvents.slice(from, from + 100), from, emmettErrors);
    await appendSurely(ourReads, 'agreement-read', streamEvents.slice(from, from + 100), from, ourErrors);
  }
  const streamRate = (side: Side) =>
    rate(reads, async () => {
      for (let i = 0; i < reads; i++) if ((await side.readStream('agreement-read')) !== 1000) throw new Error('short stream read');
    });
  const stream = await paired(rounds, () => streamRate(emmettReads), () => streamRate(ourReads));
  figures.push({ name: 'read a 1,000-event stream', unit: 'reads/s', ...stream, baselineName: `${theirs} readStream`, target, met: stream.ratio > 1, rounds });
  await ourReads.close();

  // 3. The whole log in global order: 100-event streams, the same events on both sides.
  const total = quick ? 20_000 : 200_000;
  const [emmettLog, ourLog] = [emmett(lib, fresh('emmett')), ours(fresh('ours'))];
  for (let stream = 0; stream < total / 100; stream++) {
    const batch = stepEvents(100, stream * 100);
    await appendSurely(emmettLog, `agreement-log-${stream}`, batch, 0, emmettErrors);
    await appendSurely(ourLog, `agreement-log-${stream}`, batch, 0, ourErrors);
  }
  const logRate = (side: Side) =>
    rate(total, async () => {
      const count = await side.readAll();
      if (count !== total) throw new Error(`read ${count} of ${total} events`);
    });
  const log = await paired(rounds, () => logRate(emmettLog), () => logRate(ourLog));
  figures.push({
    name: `read the whole log, ${total.toLocaleString('en-GB')} events`, unit: 'events/s', ...log,
    baselineName: `${theirs} readMessagesBatch, ${PAGE}/batch`, target, met: log.ratio > 1, rounds,
  });
  await ourLog.close();

  // 4. Concurrent writers: speed, and every error and lost append counted.
  const concurrency: PeersResult['concurrency'] = [];
  const writers = 50;
  const perWriter = quick ? 10 : 40;
  const oursOutcome = async () => {
    const file = fresh('ours');
    const side = ours(file);
    const outcome = await concurrentWriters({ writers, perWriter, file, append: (s, e, n) => side.append(s, [e], n), persistedIds: idsIn('SELECT metadata FROM events') });
    await side.close();
    return outcome;
  };
  const emmettIds = idsIn('SELECT message_metadata FROM emt_messages');
  const shared = await quietly(() => {
    const file = fresh('emmett');
    const side = emmett(lib, file);
    return concurrentWriters({ writers, perWriter, file, append: (s, e, n) => side.append(s, [e], n), persistedIds: emmettIds });
  });
  concurrency.push({ variant: `${writers} writers, one store (as an application holds it)`, emmett: shared, ours: await oursOutcome() });
  if (!quick) {
    // Emmett's store shares one connection between overlapping calls; one store per writer avoids that.
    const each = await quietly(async () => {
      const file = fresh('emmett');
      await emmett(lib, file).append('agreement-schema', [stepEvent(0)], 0); // creates the tables once
      const stores = new Map<string, Side>();
      const storeOf = (stream: string) => stores.get(stream) ?? stores.set(stream, emmett(lib, file)).get(stream)!;
      return concurrentWriters({ writers, perWriter, file, append: (s, e, n) => storeOf(s).append(s, [e], n), persistedIds: emmettIds });
    });
    concurrency.push({ variant: `${writers} writers, one Emmett store per writer (ours: one store)`, emmett: each, ours: await oursOutcome() });
  }
  sequentialErrors.appends = rounds * (warmUp + appends) + 10 + total / 100;
  return { durability, figures, sequentialErrors, concurrency };
}

/**
 * Emmett's appends fail now and then even one at a time (SQLITE_BUSY, "cannot commit transaction -
 * SQL statements in progress"): each failure is counted, the stream is checked (was it written after
 * all?) and the append retried, as a client would. The time this takes is part of the rate.
 */
async function appendSurely(side: Side, stream: string, events: BenchEvent[], expectedCount: number, errors: Errors): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await side.append(stream, events, expectedCount);
    } catch (error) {
      const kind = errorKind(error);
      errors[kind] = (errors[kind] ?? 0) + 1;
      if ((await side.readStream(stream)) === expectedCount + events.length) return;
      if (attempt === 10) throw error;
    }
  }
}

async function appendRate(side: Side, warmUp: number, events: BenchEvent[], errors: Errors): Promise<number> {
  // Warm-up appends on another stream, untimed: the steady state, not a new file's first growth.
  for (let i = 0; i < warmUp; i++) await appendSurely(side, 'agreement-warm-up', [stepEvent(i)], i, errors);
  const result = await rate(events.length, async () => {
    for (let i = 0; i < events.length; i++) await appendSurely(side, 'agreement-bench', [events[i]!], i, errors);
  });
  if ((await side.readStream('agreement-bench')) !== events.length) throw new Error('appends missing after the run');
  await side.close();
  return result;
}

async function describeDurability(lib: EmmettSqlite, fresh: (name: string) => string): Promise<PeersResult['durability']> {
  const [oursSide, emmettSide] = [ours(fresh('ours')), emmett(lib, fresh('emmett'))];
  const result = { ours: await oursSide.durability(), emmett: await emmettSide.durability() };
  await oursSide.close();
  return result;
}

/**
 * node-sqlite3 reports some failures as 'error' events on the database, which end the process
 * when nobody listens: while Emmett runs concurrently they are counted into the outcome's errors.
 * Calls that never answered may still fail later, so the handler stays for the rest of the run.
 */
const uncaught = { count: 0, installed: false };

async function quietly(run: () => Promise<ConcurrentOutcome>): Promise<ConcurrentOutcome> {
  if (!uncaught.installed) {
    uncaught.installed = true;
    process.on('uncaughtException', (error) => {
      if (uncaught.count++ < 5) process.stderr.write(`(uncaught error after Emmett started, counted: ${String(error).split('\n')[0]})\n`);
    });
  }
  const before = uncaught.count;
  const outcome = await run();
  if (uncaught.count > before) outcome.errors['uncaught error event (would have ended the process)'] = uncaught.count - before;
  return outcome;
}
