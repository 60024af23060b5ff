import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { CommandHandler } from '../../src/application/handle-command.js';
import { Projector } from '../../src/application/projector.js';
import { registerModel } from '../../projections/register/projection.js';
import { MemoryDocumentStore } from '../../src/document-store/port.js';
import { MemoryEventStore } from '../../src/event-store/memory/store.js';
import { TokenBook } from '../../src/http/tokens.js';

describe('an unexpected failure', () => {
  it('answers 500 with nothing but the request id, and logs the full error with that id', async () => {
    const store = new MemoryEventStore();
    // A store that breaks in a way nobody planned for.
    store.readStream = () => {
      throw new Error('disk on fire at /var/secret/ledger.sqlite');
    };
    const logs: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _e, done) => (logs.push(chunk.toString()), done()) }));
    const app = await buildApp({
      store, logger, handler: new CommandHandler(store), register: new Projector(store, new MemoryDocumentStore(), registerModel, logger),
      tokens: new TokenBook([{ name: 'wall', role: 'viewer', secret: 'viewer-secret-01234567890' }]),
    });
    const response = await app.inject({ method: 'GET', url: '/agreements/eu-x', headers: { authorization: 'Bearer viewer-secret-01234567890', 'x-request-id': 'req-boom' } });
    expect(response.statusCode).toBe(500);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 500, code: 'INTERNAL', requestId: 'req-boom' });
    expect(response.body).not.toContain('disk on fire');
    expect(logs.some((line) => line.includes('"reqId":"req-boom"') && line.includes('disk on fire'))).toBe(true);
    await app.close();
  });
});
