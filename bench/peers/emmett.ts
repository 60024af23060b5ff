import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The part of Emmett's SQLite event store (@event-driven-io/emmett-sqlite 0.38.5) this bench
 * calls, typed here: the package lives in bench/peers/node_modules only, so the root type-check
 * must not need it. Read off the package's own index.d.ts.
 */
export type EmmettJson = Record<string, unknown>;

export interface EmmettEvent {
  type: string;
  data: EmmettJson;
  metadata?: EmmettJson;
}

export interface EmmettReadEvent extends EmmettEvent {
  metadata: EmmettJson & { streamName: string; streamPosition: bigint; globalPosition: bigint };
}

export interface EmmettEventStore {
  /** `expectedStreamVersion` counts the events already in the stream: 0n for a new stream. */
  appendToStream(stream: string, events: EmmettEvent[], options?: { expectedStreamVersion?: bigint }): Promise<{
    nextExpectedStreamVersion: bigint;
    lastEventGlobalPosition: bigint;
  }>;
  readStream(stream: string): Promise<{ currentStreamVersion: bigint; events: EmmettReadEvent[]; streamExists: boolean }>;
}

/** One node-sqlite3 connection as Emmett wraps it (`sqliteConnection`): it runs `PRAGMA journal_mode = WAL` on open. */
export interface EmmettConnection {
  close(): void;
  querySingle<T>(sql: string, values?: unknown[]): Promise<T | null>;
}

export interface EmmettSqlite {
  getSQLiteEventStore(options: { fileName: string }): EmmettEventStore;
  sqliteConnection(options: { fileName: string }): EmmettConnection;
  /** What Emmett's consumers pull the log with (its `sqliteEventStoreMessageBatchPuller`); the store itself has no global read. */
  readMessagesBatch(db: EmmettConnection, options: { after: bigint; batchSize: number }): Promise<{
    currentGlobalPosition: bigint;
    messages: EmmettReadEvent[];
    areEventsLeft: boolean;
  }>;
}

export const EMMETT_VERSION = '0.38.5';
const here = import.meta.dirname;
const installed = (path: string) => existsSync(join(here, 'node_modules', path));

/** Installs bench/peers' own dependencies (never the product's) when they are missing or not the pinned version. */
export function ensureInstalled(): void {
  const manifest = join(here, 'node_modules/@event-driven-io/emmett-sqlite/package.json');
  const version = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version : undefined;
  if (version === EMMETT_VERSION && installed('sqlite3/build/Release/node_sqlite3.node')) return;
  console.log(`Installing @event-driven-io/emmett-sqlite ${EMMETT_VERSION} into bench/peers/node_modules (npm ci; sqlite3 compiles from source, about 80 s)...`);
  const npm = process.env.npm_execpath;
  const result = npm?.endsWith('.js')
    ? spawnSync(process.execPath, [npm, 'ci', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' })
    : spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm ci in bench/peers failed (exit ${result.status ?? result.signal})`);
}

export async function loadEmmett(): Promise<EmmettSqlite> {
  // A specifier in a variable: resolved at run time from bench/peers/node_modules, unseen by tsc.
  const specifier = '@event-driven-io/emmett-sqlite';
  return (await import(specifier)) as EmmettSqlite;
}
