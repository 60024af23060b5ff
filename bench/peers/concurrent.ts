import Database from 'better-sqlite3';
import { stepEvent, type BenchEvent } from './events.js';

/**
 * Many writers at once, each appending to its own stream with the exact expected version it
 * believes in (the count of its acknowledged appends). Nothing here may crash the run: errors,
 * calls that never answer and appends acknowledged but absent from the file afterwards are
 * counted and reported beside the speed.
 */
export interface ConcurrentOutcome {
  writers: number;
  attempted: number;
  acknowledged: number;
  /** Acknowledged, yet not in the file once every call has settled: lost writes. */
  lost: number;
  /** Reported as failed (or never answered), yet in the file. */
  failedButWritten: number;
  timeouts: number;
  /** Errors by kind (SQLite code or error name and message). */
  errors: Record<string, number>;
  seconds: number;
  /** Acknowledged appends found in the file afterwards, per second of the run. */
  durablePerSecond: number;
}

export type AppendOne = (stream: string, event: BenchEvent, expectedCount: number) => Promise<unknown>;

/** How the persisted events' commandIds are read back from each store's file. */
export type PersistedIds = (file: string) => Set<string>;

const CALL_TIMEOUT_MS = 10_000;
const GRACE_MS = 10_000;

export async function concurrentWriters(options: {
  writers: number;
  perWriter: number;
  append: AppendOne;
  file: string;
  persistedIds: PersistedIds;
}): Promise<ConcurrentOutcome> {
  const { writers, perWriter, append } = options;
  const acknowledged = new Set<string>();
  const failed = new Set<string>();
  const errors: Record<string, number> = {};
  const pending = new Set<Promise<unknown>>();
  const counts = new Array<number>(writers).fill(0);
  let attempted = 0;
  let timeouts = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter; i++) {
        const event = stepEvent(i);
        const id = event.metadata.commandId;
        attempted++;
        const call = append(`agreement-writer-${w}`, event, counts[w]!);
        const settled = call.then(() => undefined, () => undefined);
        pending.add(settled);
        void settled.then(() => pending.delete(settled));
        const outcome = await withTimeout(call, CALL_TIMEOUT_MS);
        if (outcome.kind === 'ok') {
          acknowledged.add(id);
          counts[w]!++;
        } else {
          failed.add(id);
          if (outcome.kind === 'timeout') {
            timeouts++;
            return; // a call that never answers leaves the writer not knowing its stream's version
          }
          const key = errorKind(outcome.error);
          errors[key] = (errors[key] ?? 0) + 1;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  // Calls that timed out may still commit (or roll back): wait for them before looking.
  await withTimeout(Promise.all(pending), GRACE_MS);
  const persisted = options.persistedIds(options.file);
  let lost = 0;
  for (const id of acknowledged) if (!persisted.has(id)) lost++;
  let failedButWritten = 0;
  for (const id of failed) if (persisted.has(id)) failedButWritten++;
  return {
    writers, attempted, acknowledged: acknowledged.size, lost, failedButWritten, timeouts, errors, seconds,
    durablePerSecond: (acknowledged.size - lost) / seconds,
  };
}

type Outcome = { kind: 'ok' } | { kind: 'error'; error: unknown } | { kind: 'timeout' };

async function withTimeout(call: Promise<unknown>, ms: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome>((resolve) => (timer = setTimeout(() => resolve({ kind: 'timeout' }), ms)));
  try {
    return await Promise.race([call.then((): Outcome => ({ kind: 'ok' }), (error: unknown): Outcome => ({ kind: 'error', error })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function errorKind(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown; message?: unknown };
  if (typeof e?.code === 'string' && e.code.startsWith('SQLITE')) return e.code;
  const message = String(e?.message ?? error).split('\n')[0]!.slice(0, 80);
  return `${String(e?.name ?? 'Error')}: ${message}`;
}

/** The commandIds in a file's metadata column, read with a connection of its own. */
export function idsIn(query: string): PersistedIds {
  return (file) => {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const ids = new Set<string>();
      for (const json of db.prepare(query).pluck().iterate() as Iterable<string>) {
        const id = (JSON.parse(json) as { commandId?: unknown }).commandId;
        if (typeof id === 'string') ids.add(id);
      }
      return ids;
    } finally {
      db.close();
    }
  };
}
