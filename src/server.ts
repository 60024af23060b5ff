import { pino } from 'pino';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { CommandHandler } from './application/handle-command.js';
import { loadDemoDataIfEmpty } from './application/demo-data.js';
import { openEventStore } from './event-store/open.js';

/** The composition root: config -> logger -> store -> app -> listen. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = pino({ level: config.LOG_LEVEL, redact: ['req.headers.authorization'] });
  const store = openEventStore(config);
  const handler = new CommandHandler(store);
  if (config.DEMO_DATA) await loadDemoDataIfEmpty(store, handler, logger);
  const app = await buildApp({ store, logger });
  const address = await app.listen({ port: config.PORT, host: config.HOST });
  logger.info({ address, store: config.EVENT_STORE, file: config.EVENT_STORE === 'sqlite' ? config.databaseFile : undefined }, 'agreement-ledger is listening');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown took over 10 s; exiting anyway');
      process.exit(1);
    }, 10_000);
    timer.unref();
    await app.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`agreement-ledger failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
