import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { SqliteEventStore } from '../src/event-store/sqlite/store.js';
import { configureConnection, migrate, type Synchronous } from '../src/event-store/sqlite/schema.js';
import { isMain, paired, printTable, rate, type Figure } from './harness.js';

/**
 * The event store against plain better-sqlite3 statements on the same table, same durability,
 * measured back to back in the same run.
 */

const stepData = (i: number) => ({
  agreementId: `eu-partner-${i % 100}-readmission`,
  round: i,
  occurredOn: { kind: 'day', value: '2019-03-26' },
  location: 'Brussels',
  note: 'Round of negotiations held on the remaining articles of the draft text.',
  source: '004:1594',
});
/**
 * Appends made before timing starts, on both sides: a new file's WAL grows at first, and a growing
 * file costs every fsync a metadata flush. What is measured is the steady state a server runs in.
 */
export const WARM_UP = 500;

export const stepMetadata = () => ({ actor: 'alice', commandId: randomUUID(), correlationId: randomUUID() });

/** The baseline: what a team would write by hand with better-sqlite3 and SQLite's own checkpoints. */
export class RawStore {
  readonly db: Database.Database;
  private readonly appendOne: (stream: string, expected: number | null, type: string, data: string, metadata: string) => void;
  constructor(file: string, synchronous: Synchronous) {
    this.db = new Database(file);
    configureConnection(this.db, synchronous);
    this.db.pragma('wal_autocheckpoint = 1000');
    migrate(this.db);
    const head = this.db.prepare('SELECT MAX(revision) FROM events WHERE stream = ?').pluck();
    const insert = this.db.prepare(
      'INSERT INTO events (event_id, stream, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.appendOne = this.db.transaction((stream: string, expected: number | null, type: string, data: string, metadata: string) => {
      const actual = head.get(stream) as number | null;
      if (actual !== expected) throw new Error('conflict');
      insert.run(randomUUID(), stream, actual === null ? 0 : actual + 1, type, data, metadata, new Date().toISOString());
    });
  }
  append(stream: string, expected: number | null, data: object, metadata: object, type = 'NegotiationRoundHeld'): void {
    this.appendOne(stream, expected, type, JSON.stringify(data), JSON.stringify(metadata));
  }
}

export async function runStoreBench(options: { quick: boolean; synchronous?: Synchronous; only?: 'single' }): Promise<Figure[]> {
  const synchronous = options.synchronous ?? 'FULL';
  const dir = mkdtempSync(join(tmpdir(), 'ledger-bench-store-'));
  const rounds = options.quick ? 3 : 9;
  const figures: Figure[] = [];
  let fileNo = 0;
  const freshFile = () => join(dir, `store-${fileNo++}.sqlite`);
  try {
    // 1. One writer, one event per append, each checked against the stream's revision.
    const single = options.quick ? 300 : 1000;
    const one = await paired(
      rounds,
      () => {
        const raw = new RawStore(freshFile(), synchronous);
        for (let i = 0; i < WARM_UP; i++) raw.append('agreement-warm-up', i === 0 ? null : i - 1, stepData(i), stepMetadata());
        const started = performance.now();
        for (let i = 0; i < single; i++) raw.append('agreement-bench', i === 0 ? null : i - 1, stepData(i), stepMetadata());
        const result = single / ((performance.now() - started) / 1000);
        raw.db.close();
        return result;
      },
      async () => {
        const store = new SqliteEventStore(freshFile(), { synchronous });
        for (let i = 0; i < WARM_UP; i++) {
          await store.append('agreement-warm-up', [{ type: 'NegotiationRoundHeld', data: stepData(i), metadata: stepMetadata() }], {
            expectedRevision: i === 0 ? 'no_stream' : i - 1,
          });
        }
        const result = await rate(single, async () => {
          for (let i = 0; i < single; i++) {
            await store.append('agreement-bench', [{ type: 'NegotiationRoundHeld', data: stepData(i), metadata: stepMetadata() }], {
              expectedRevision: i === 0 ? 'no_stream' : i - 1,
            });
          }
        });
        await store.close();
        return result;
      },
    );
    figures.push({ name: `append, 1 writer (${synchronous})`, unit: 'events/s', ...one, baselineName: 'raw better-sqlite3, 1 txn/event', target: '>= 0.80x', met: one.ratio >= 0.8, rounds });
    if (options.only === 'single') return figures;

    // 2. Fifty concurrent writers, each on its own agreement, each append checked.
    const writers = 50;
    const perWriter = options.quick ? 40 : 200;
    const many = await paired(
      rounds,
      () => {
        const raw = new RawStore(freshFile(), synchronous);
        const started = performance.now();
        for (let i = 0; i < perWriter; i++) {
          for (let w = 0; w < writers; w++) raw.append(`agreement-${w}`, i === 0 ? null : i - 1, stepData(i), stepMetadata());
        }
        const result = (writers * perWriter) / ((performance.now() - started) / 1000);
        raw.db.close();
        return result;
      },
      async () => {
        const store = new SqliteEventStore(freshFile(), { synchronous });
        const result = await rate(writers * perWriter, async () => {
          await Promise.all(
            Array.from({ length: writers }, async (_, w) => {
              for (let i = 0; i < perWriter; i++) {
                await store.append(`agreement-${w}`, [{ type: 'NegotiationRoundHeld', data: stepData(i), metadata: stepMetadata() }], {
                  expectedRevision: i === 0 ? 'no_stream' : i - 1,
                });
              }
            }),
          );
        });
        await store.close();
        return result;
      },
    );
    // The 3x target is group commit sharing fsyncs (FULL); with NORMAL there is no fsync to share.
    const groupCommit = synchronous === 'FULL' ? { target: '>= 3.00x', met: many.ratio >= 3 } : { target: 'reported' };
    figures.push({ name: `append, 50 writers (${synchronous})`, unit: 'events/s', ...many, baselineName: 'raw better-sqlite3, 1 txn/event', ...groupCommit, rounds });

    // 3. Reading the whole log: ours (paged, async) against a raw scan that parses the same JSON.
    const total = options.quick ? 50_000 : 1_000_000;
    const logFile = freshFile();
    fillLog(logFile, total);
    const store = new SqliteEventStore(logFile, { synchronous });
    const raw = new Database(logFile, { readonly: true });
    const scan = raw.prepare('SELECT position, event_id, stream, revision, type, data, metadata, recorded_at FROM events ORDER BY position');
    const read = await paired(
      rounds,
      () =>
        rate(total, () => {
          let count = 0;
          for (const row of scan.iterate() as Iterable<{ position: number; data: string; metadata: string }>) {
            const event = { ...row, data: JSON.parse(row.data), metadata: JSON.parse(row.metadata) };
            if (event.position) count++;
          }
          if (count !== total) throw new Error(`raw scan read ${count}`);
        }),
      () =>
        rate(total, async () => {
          let count = 0;
          for await (const event of store.readAll()) if (event.position) count++;
          if (count !== total) throw new Error(`readAll read ${count}`);
        }),
    );
    raw.close();
    await store.close();
    figures.push({ name: `readAll, ${total.toLocaleString('en-GB')} events`, unit: 'events/s', ...read, baselineName: 'raw scan + JSON.parse', target: '>= 0.80x', met: read.ratio >= 0.8, rounds });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

/** Setup, not measured: a log of `total` events over 10,000 streams, written in large transactions. */
function fillLog(file: string, total: number): void {
  const db = new Database(file);
  configureConnection(db, 'NORMAL');
  migrate(db);
  db.pragma('synchronous = OFF');
  const insert = db.prepare('INSERT INTO events (event_id, stream, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const streams = 10_000;
  const now = new Date().toISOString();
  const chunk = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      insert.run(randomUUID(), `agreement-${i % streams}`, Math.floor(i / streams), 'NegotiationRoundHeld', JSON.stringify(stepData(i)), JSON.stringify(stepMetadata()), now);
    }
  });
  for (let from = 0; from < total; from += 50_000) chunk(from, Math.min(total, from + 50_000));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

if (isMain(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const synchronous = process.argv.includes('--normal') ? 'NORMAL' : 'FULL';
  const figures = await runStoreBench({ quick, synchronous, ...(process.argv.includes('--single') ? { only: 'single' as const } : {}) });
  printTable(`Event store (${quick ? 'quick' : 'full'} run, median of paired rounds)`, figures);
}
