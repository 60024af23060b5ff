import { setFlagsFromString } from 'node:v8';
import { pino } from 'pino';
import { buildApp } from './app.js';
import { loadDemoDataIfEmpty } from './application/demo-data.js';
import { CommandHandler } from './application/handle-command.js';
import { MeteredEventStore } from './application/metered-store.js';
import { LedgerMetrics } from './application/metrics.js';
import { Projector } from './application/projector.js';
import { registerModel } from '../projections/register/projection.js';
import { openDocumentStore } from './document-store/open.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { DataDirInUseError, lockDataDir, type DataDirLock } from './data-dir/lock.js';
import { makeFilesPrivate, privateDataDir, type Tightened } from './data-dir/private-files.js';
import { EventStoreError } from './event-store/errors.js';
import { openEventStore } from './event-store/open.js';
import type { EventStore } from './event-store/port.js';
import { loggerOptions } from './http/log-redaction.js';
import { generatedTokens, parseApiTokens, tokenNotice, TokenBook, TokenConfigError } from './http/tokens.js';

/** The most a SIGTERM may take: requests in flight get their answers within it, or the process exits 1. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * Grow the heap by at most half its live size before collecting. V8's default lets it grow up to
 * fourfold, and a catch-up over a long log (each event leaves a little garbage that outlives the
 * young generation) would hold twice the memory it needs, most of it garbage. Read by V8 at each
 * collection, so setting it here, before any work, takes effect.
 */
const HEAP_GROWING_PERCENT = 50;

/** The composition root: config -> logger -> store -> handler and read models -> app -> listen. */
async function main(): Promise<void> {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  // Before any file is made: the log, the read models and the tokens are this user's alone.
  makeFilesPrivate();
  let config: Config;
  let tokens: TokenBook;
  let generated: ReturnType<typeof generatedTokens> | undefined;
  let lock: DataDirLock | undefined;
  let tightened: Tightened[] = [];
  try {
    config = loadConfig();
    // One process per data directory, taken before any store opens. Only the memory store keeps
    // nothing there (its read models are in memory too).
    if (config.EVENT_STORE !== 'memory') {
      lock = lockDataDir(config.dataDir, 'server');
      tightened = privateDataDir(config.dataDir);
    }
    if (config.API_TOKENS !== undefined) tokens = new TokenBook(parseApiTokens(config.API_TOKENS));
    else {
      generated = generatedTokens(config.dataDir);
      tokens = new TokenBook(generated.tokens);
    }
  } catch (error) {
    if (error instanceof ConfigError || error instanceof TokenConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    if (error instanceof DataDirInUseError) {
      process.stderr.write(`agreement-ledger cannot start: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = pino(loggerOptions(config.LOG_LEVEL));
  if (tightened.length > 0) logger.warn({ files: tightened }, 'data files were readable by others; now by their owner only');
  // One set of instruments: the store counts appends into it, the app shows it at /metrics.
  const metrics = new LedgerMetrics();
  let store: EventStore;
  try {
    store = new MeteredEventStore(await openEventStore(config), metrics);
  } catch (error) {
    // An unreachable EventStoreDB, an unreadable database file: say which, no stack trace.
    if (error instanceof EventStoreError) {
      process.stderr.write(`agreement-ledger cannot start: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const handler = new CommandHandler(store);
  if (config.DEMO_DATA) await loadDemoDataIfEmpty(store, handler, logger);
  const documents = openDocumentStore(config);
  const register = new Projector(store, documents, registerModel, logger);
  register.start();
  const app = await buildApp({ store, logger, handler, register, tokens, metrics, trustProxy: config.TRUST_PROXY, liveMaxSubscribers: config.LIVE_MAX_SUBSCRIBERS });
  const address = await app.listen({ port: config.PORT, host: config.HOST });
  logger.info({ address, store: config.EVENT_STORE, file: config.EVENT_STORE === 'sqlite' ? config.databaseFile : undefined }, 'agreement-ledger is listening');
  // Never through the logger, and the secrets themselves only to a terminal: stderr that is a
  // file or a pipe ends up in log files and `docker logs`, which must not hold them.
  if (generated) process.stderr.write(tokenNotice(generated, address, process.stderr.isTTY === true));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error(`shutdown took over ${SHUTDOWN_TIMEOUT_MS / 1000} s; exiting anyway`);
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    // Node closes idle keep-alive connections once, when closing starts; one whose request is
    // answered later would stay open for its keep-alive timeout (72 s) and hold the close up.
    const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
    try {
      // New requests get 503, live feeds are ended, requests in flight are answered.
      await app.close();
      clearInterval(sweep);
      // The read model stores what it folded; the store commits what is queued, then closes its file.
      await register.stop();
      documents.close();
      await store.close();
      lock?.release();
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
    logger.info({ signal }, 'stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`agreement-ledger failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
