/**
 * A server for the HTTP benchmark, run in its own process so that the load generator does not
 * share its event loop. MODE=bare: a bare Fastify route with one raw better-sqlite3 insert per
 * request, same table, same durability. MODE=ours: the real app on the embedded store.
 * Prints the URL on stdout once it listens.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { pino } from 'pino';
import { rehydrate } from '../domain/agreement/index.js';
import { buildApp } from '../src/app.js';
import { agreementView } from '../src/http/views.js';
import { CommandHandler } from '../src/application/handle-command.js';
import { MeteredEventStore } from '../src/application/metered-store.js';
import { LedgerMetrics } from '../src/application/metrics.js';
import { Projector } from '../src/application/projector.js';
import { registerModel } from '../projections/register/projection.js';
import { SqliteDocumentStore } from '../src/document-store/sqlite-store.js';
import { configureConnection, migrate, type Synchronous } from '../src/event-store/sqlite/schema.js';
import { SqliteEventStore } from '../src/event-store/sqlite/store.js';
import { TokenBook } from '../src/http/tokens.js';

export const BENCH_TOKEN = 'bench-officer-secret-0000000';
export const AGREEMENTS = 500;

const mode = process.env.MODE;
// A clean exit on SIGINT, so that --cpu-prof can write its profile.
process.on('SIGINT', () => process.exit(0));
const synchronous = (process.env.SYNCHRONOUS ?? 'FULL') as Synchronous;
// The parent's directory (it removes it once this process is gone), or one of its own when run alone.
const dir = process.env.BENCH_DIR ?? mkdtempSync(join(tmpdir(), 'ledger-bench-http-'));

if (mode === 'bare') {
  const db = new Database(join(dir, 'bare.sqlite'));
  configureConnection(db, synchronous);
  db.pragma('wal_autocheckpoint = 1000');
  migrate(db);
  const insert = db.prepare('INSERT INTO events (event_id, stream, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  let revision = 0;
  const app = Fastify({ logger: false });
  app.post('/agreements/:id/steps', {
    schema: {
      body: {
        type: 'object',
        required: ['step', 'occurredOn'],
        additionalProperties: false,
        properties: { step: { type: 'string' }, occurredOn: { type: 'string' }, body: { type: 'string' } },
      },
    },
  }, async (request, reply) => {
    const { id } = request.params as { id: string };
    insert.run(randomUUID(), `agreement-${id}`, revision++, 'MeetingHeld', JSON.stringify(request.body), '{}', new Date().toISOString());
    return reply.code(201).send({ ok: true });
  });
  // The same document ours answers with (same bytes on the wire), built once: the bare GET does no work.
  const state = rehydrate([
    { id: '00000000-0000-4000-8000-000000000001', type: 'AgreementRegistered', data: { agreementId: 'eu-bench-0', title: 'EU-Bench 0', kind: 'readmission_agreement', binding: true, parties: ['EU', 'Bench 0'], links: {} } },
    { id: '00000000-0000-4000-8000-000000000002', type: 'AgreementEnteredIntoForce', data: { occurredOn: '2020' } },
  ]);
  const document = JSON.stringify(agreementView(state, 1, new Date().toISOString().slice(0, 10)));
  app.get('/agreements/:id', async (_request, reply) => reply.type('application/json; charset=utf-8').send(document));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`${url}\n`);
} else {
  // Composed as server.ts composes it: the store counts its appends into the metrics /metrics shows.
  const metrics = new LedgerMetrics();
  const store = new MeteredEventStore(new SqliteEventStore(join(dir, 'ledger.sqlite'), { synchronous }), metrics);
  const logger = pino({ level: 'silent' });
  const handler = new CommandHandler(store);
  for (let i = 0; i < AGREEMENTS; i++) {
    await handler.handle(`eu-bench-${i}`, { type: 'RegisterAgreement', input: { agreementId: `eu-bench-${i}`, title: `EU-Bench ${i}`, kind: 'readmission_agreement', parties: ['EU', `Bench ${i}`] } }, { actor: 'bench', commandId: randomUUID() });
    await handler.handle(`eu-bench-${i}`, { type: 'RecordStep', step: 'entered_into_force', data: { occurredOn: '2020' } }, { actor: 'bench', commandId: randomUUID() });
  }
  const register = new Projector(store, new SqliteDocumentStore(join(dir, 'read-models.sqlite')), registerModel, logger);
  register.start();
  const app = await buildApp({ store, logger, handler, register, metrics, tokens: new TokenBook([{ name: 'bench', role: 'officer', secret: BENCH_TOKEN }]) });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`${url}\n`);
}
