import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { registerModel } from '../../projections/register/projection.js';
import { buildApp } from '../../src/app.js';
import { CommandHandler } from '../../src/application/handle-command.js';
import { Projector } from '../../src/application/projector.js';
import type { EventStore } from '../../src/event-store/port.js';
import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';
import { TokenBook } from '../../src/http/tokens.js';
import { SqliteDocumentStore } from '../../src/document-store/sqlite-store.js';
import { TOKENS } from './fixture.js';

const silent = pino({ level: 'silent' });

/**
 * The app, listening on loopback, over a store that counts the subscriptions asked of it and can
 * hold reads of the log (`readAll`: what a catch-up reads, never the shared feed) until released.
 */
export async function startLive(options: { liveMaxSubscribers?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-live-'));
  const sqlite = new SqliteEventStore(join(dir, 'ledger.sqlite'));
  const subscriptions = { count: 0 };
  const reads = { held: 0, gate: undefined as Promise<void> | undefined };
  const store = new Proxy(sqlite, {
    get(target, name, receiver) {
      if (name === 'subscribe') subscriptions.count++;
      if (name === 'readAll') {
        return (...args: Parameters<EventStore['readAll']>) => (async function* () {
          const gate = reads.gate;
          if (gate) {
            reads.held++;
            await gate;
            reads.held--;
          }
          yield* target.readAll(...args);
        })();
      }
      const value = Reflect.get(target, name, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  }) as EventStore;
  const handler = new CommandHandler(store);
  const documents = new SqliteDocumentStore(join(dir, 'read-models.sqlite'));
  const register = new Projector(store, documents, registerModel, silent);
  register.start();
  const tokens = new TokenBook([
    { name: 'alice', role: 'officer', secret: TOKENS.officer },
    { name: 'bob', role: 'auditor', secret: TOKENS.auditor },
    { name: 'wall', role: 'viewer', secret: TOKENS.viewer },
  ]);
  const app = await buildApp({ store, logger: silent, handler, register, tokens, liveMaxSubscribers: options.liveMaxSubscribers });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const metadata = () => ({ actor: 'alice', commandId: crypto.randomUUID() });
  return {
    app, base, store, subscriptions, reads,
    /** Holds every read of the log from now on; the returned function lets them (and later ones) go. */
    holdReads: () => {
      let release!: () => void;
      reads.gate = new Promise((resolve) => (release = resolve));
      return () => {
        reads.gate = undefined;
        release();
      };
    },
    registerAgreement: (id: string, parties = ['EU', 'Nigeria']) =>
      handler.handle(id, { type: 'RegisterAgreement', input: { agreementId: id, title: `Agreement ${id}`, kind: 'readmission_agreement', parties } }, metadata()),
    round: (id: string, round: number) => handler.handle(id, { type: 'RecordStep', step: 'round_held', data: { occurredOn: '2021', round } }, metadata()),
    meeting: (id: string) => handler.handle(id, { type: 'RecordStep', step: 'meeting_held', data: { occurredOn: '2021', body: 'Joint Readmission Committee' } }, metadata()),
    close: async () => {
      await app.close();
      await register.stop();
      documents.close();
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
