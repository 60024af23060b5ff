import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { CommandHandler } from '../../src/application/handle-command.js';
import { Projector } from '../../src/application/projector.js';
import { registerModel } from '../../projections/register/projection.js';
import { SqliteDocumentStore } from '../../src/document-store/sqlite-store.js';
import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';
import { TokenBook } from '../../src/http/tokens.js';
import { TOKENS } from './fixture.js';

/**
 * The whole app on a real SQLite store, on a clock the test sets: the store stamps each event a
 * second after the one before (so every event has its own recording moment), and the command
 * path and the routes read the same clock for the day it is.
 */
export async function startClockedApp(startAt: string) {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-clocked-'));
  let now = Date.parse(startAt);
  const clock = () => new Date(now);
  const store = new SqliteEventStore(join(dir, 'ledger.sqlite'), { now: () => new Date((now += 1000)) });
  const logger = pino({ level: 'silent' });
  const handler = new CommandHandler(store, undefined, clock);
  const documents = new SqliteDocumentStore(join(dir, 'read-models.sqlite'));
  const register = new Projector(store, documents, registerModel, logger);
  register.start();
  const tokens = new TokenBook([
    { name: 'alice', role: 'officer', secret: TOKENS.officer },
    { name: 'bob', role: 'auditor', secret: TOKENS.auditor },
  ]);
  const app = await buildApp({ store, logger, handler, register, tokens, clock, authThrottle: { maxFailures: 1_000_000 } });
  return {
    app,
    store,
    handler,
    logger,
    /** Moves the clock to `moment` (ISO); it only moves forward, as recording moments do. */
    setClock(moment: string) {
      if (Date.parse(moment) < now) throw new Error(`the clock is at ${clock().toISOString()}, after ${moment}`);
      now = Date.parse(moment);
    },
    /** The clock's moment, ISO: at or after every event recorded so far. */
    now: () => clock().toISOString(),
    /** Resolves once the register has folded every event recorded so far. */
    caughtUp: async () => register.waitFor(await store.headPosition(), 5000),
    as: (role: keyof typeof TOKENS, options: InjectOptions): Promise<LightMyRequestResponse> =>
      app.inject({ ...options, headers: { authorization: `Bearer ${TOKENS[role]}`, ...options.headers } }),
    close: async () => {
      await app.close();
      await register.stop();
      documents.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
