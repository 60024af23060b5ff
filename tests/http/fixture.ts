import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { CommandHandler } from '../../src/application/handle-command.js';
import { Projector } from '../../src/application/projector.js';
import { registerModel } from '../../projections/register/projection.js';
import type { RegisterProjector } from '../../src/application/register-projector.js';
import { SqliteDocumentStore } from '../../src/document-store/sqlite-store.js';
import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';
import { loggerOptions } from '../../src/http/log-redaction.js';
import { TokenBook } from '../../src/http/tokens.js';

export const TOKENS = {
  officer: 'officer-secret-0123456789',
  auditor: 'auditor-secret-0123456789',
  viewer: 'viewer-secret-01234567890',
} as const;

/**
 * The whole app on a real SQLite store in a temporary directory (or `dir`, left in place), with
 * every log line captured; `clock` (what time it is for the commands and routes) and `recordedAt`
 * (the store's stamp for each event) replace the real clock where a test sets time.
 */
export async function startApp(options: { dir?: string; clock?: () => Date; recordedAt?: () => Date } = {}): Promise<{
  app: FastifyInstance;
  store: SqliteEventStore;
  handler: CommandHandler;
  register: RegisterProjector;
  documents: SqliteDocumentStore;
  logs: string[];
  as: (role: keyof typeof TOKENS, options: InjectOptions) => Promise<LightMyRequestResponse>;
  close: () => Promise<void>;
}> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'ledger-http-'));
  const store = new SqliteEventStore(join(dir, 'ledger.sqlite'), options.recordedAt ? { now: options.recordedAt } : {});
  const logs: string[] = [];
  const sink = new Writable({ write: (chunk, _encoding, done) => (logs.push(chunk.toString()), done()) });
  // The server's own redaction, so that what the tests find in `logs` is what a server would write.
  const logger = pino(loggerOptions('info'), sink);
  const handler = new CommandHandler(store, undefined, options.clock);
  const documents = new SqliteDocumentStore(join(dir, 'read-models.sqlite'));
  const register = new Projector(store, documents, registerModel, logger);
  register.start();
  const tokens = new TokenBook([
    { name: 'alice', role: 'officer', secret: TOKENS.officer },
    { name: 'bob', role: 'auditor', secret: TOKENS.auditor },
    { name: 'wall', role: 'viewer', secret: TOKENS.viewer },
  ]);
  // Suites here send hundreds of bad tokens from one address to check each route's 401; the
  // throttle that would answer them 429 is tested on an app of its own (auth-throttle.test.ts).
  const clock = options.clock ? { clock: options.clock } : {};
  const app = await buildApp({ store, logger, handler, register, tokens, ...clock, authThrottle: { maxFailures: 1_000_000 } });
  return {
    app,
    store,
    handler,
    register,
    documents,
    logs,
    as: (role, options) => app.inject({ ...options, headers: { authorization: `Bearer ${TOKENS[role]}`, ...options.headers } }),
    close: async () => {
      await app.close();
      await register.stop();
      documents.close();
      await store.close();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
