import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../src/app.js';
import { CommandHandler } from '../../src/application/handle-command.js';
import { Projector } from '../../src/application/projector.js';
import { registerModel } from '../../projections/register/projection.js';
import { MemoryDocumentStore } from '../../src/document-store/port.js';
import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';
import { TokenBook } from '../../src/http/tokens.js';

async function appOn(store: SqliteEventStore) {
  const logger = pino({ level: 'silent' });
  const register = new Projector(store, new MemoryDocumentStore(), registerModel, logger);
  return buildApp({ store, logger, handler: new CommandHandler(store), register, tokens: new TokenBook([]) });
}

describe('GET /health', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-health-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('answers 200 with the store status on a working embedded store, and 503 once the store is closed', async () => {
    const store = new SqliteEventStore(join(dir, 'ledger.sqlite'));
    await store.append('agreement-a', [{ type: 'AgreementRegistered', data: {} }], { expectedRevision: 'no_stream' });
    const app = await appOn(store);

    const healthy = await app.inject({ method: 'GET', url: '/health' });
    expect(healthy.statusCode).toBe(200);
    expect(healthy.json()).toMatchObject({ status: 'ok', store: { ok: true, adapter: 'sqlite', headPosition: 1 } });

    await store.close();
    const down = await app.inject({ method: 'GET', url: '/health' });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ status: 'unavailable', store: { ok: false } });
    await app.close();
  });

  it('echoes the caller\'s request id, and answers unknown routes with problem+json', async () => {
    const store = new SqliteEventStore(join(dir, 'ledger.sqlite'));
    const app = await appOn(store);
    const response = await app.inject({ method: 'GET', url: '/nowhere', headers: { 'x-request-id': 'req-42' } });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['x-request-id']).toBe('req-42');
    expect(response.json()).toMatchObject({ status: 404, code: 'ROUTE_NOT_FOUND', requestId: 'req-42' });
    await app.close();
    await store.close();
  });
});
