import { Agent, get } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { registerModel } from '../../projections/register/projection.js';
import { buildApp } from '../../src/app.js';
import { CommandHandler } from '../../src/application/handle-command.js';
import { Projector } from '../../src/application/projector.js';
import { MemoryEventStore } from '../../src/event-store/memory/store.js';
import { loggerOptions } from '../../src/http/log-redaction.js';
import { TokenBook } from '../../src/http/tokens.js';
import { MemoryDocumentStore } from '../../src/document-store/port.js';

const OFFICER = 'officer-secret-0123456789';
const WINDOW_MS = 60_000;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** The app with the throttle's defaults and a clock the test moves; every log line captured. */
async function start({ trustProxy }: { trustProxy?: string[] } = {}) {
  const clock = { now: 1_700_000_000_000 };
  const logs: string[] = [];
  const logger = pino(loggerOptions('info'), new Writable({ write: (chunk, _encoding, done) => (logs.push(chunk.toString()), done()) }));
  const store = new MemoryEventStore();
  const register = new Projector(store, new MemoryDocumentStore(), registerModel, logger);
  register.start();
  const tokens = new TokenBook([{ name: 'alice', role: 'officer', secret: OFFICER }]);
  const app = await buildApp({ store, logger, handler: new CommandHandler(store), register, tokens, authThrottle: { now: () => clock.now }, trustProxy });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await app.close();
    await register.stop();
  };
  cleanups.push(close);
  const request = (token: string, remoteAddress = '203.0.113.7', forwardedFor?: string) =>
    app.inject({ method: 'GET', url: '/agreements', remoteAddress, headers: { authorization: `Bearer ${token}`, ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) } });
  const guess = (n: number, remoteAddress?: string, forwardedFor?: string) => request(`guess-${n.toString().padStart(20, '0')}`, remoteAddress, forwardedFor);
  return { app, clock, logs, request, guess, close };
}

describe('failed authentication, per client address', () => {
  it('answers 429 with Retry-After after 10 bad guesses, then refuses even a good token from that address unchecked', async () => {
    const t = await start();
    for (let n = 0; n < 10; n++) expect((await t.guess(n)).statusCode).toBe(401);
    const limited = await t.guess(10);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('60');
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.json()).toMatchObject({ status: 429, code: 'TOO_MANY_FAILED_AUTHENTICATIONS', detail: expect.stringContaining('Authorization: 10 failed authentications from 203.0.113.7 within 60 s') });
    // A right answer among refusals would tell a guesser which guess was right.
    expect((await t.request(OFFICER)).statusCode).toBe(429);
    t.clock.now += 45_000;
    expect((await t.guess(11)).headers['retry-after']).toBe('15');
    // Other addresses are not affected.
    expect((await t.request(OFFICER, '198.51.100.1')).statusCode).toBe(200);
    expect((await t.guess(12, '198.51.100.1')).statusCode).toBe(401);
  });

  it('checks tokens again once the window has passed', async () => {
    const t = await start();
    for (let n = 0; n < 11; n++) await t.guess(n);
    expect((await t.guess(11)).statusCode).toBe(429);
    t.clock.now += WINDOW_MS;
    expect((await t.guess(12)).statusCode).toBe(401);
    expect((await t.request(OFFICER)).statusCode).toBe(200);
  });

  it('never limits an officer who authenticates: a thousand requests with a good token are all answered', async () => {
    const t = await start();
    for (let n = 0; n < 1000; n++) expect((await t.request(OFFICER)).statusCode).toBe(200);
  });

  it('keeps answering a connection whose token was verified before its address was limited', async () => {
    const t = await start();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.app.server.address() as { port: number };
    let connections = 0;
    t.app.server.on('connection', () => connections++);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.unshift(async () => agent.destroy());
    const officer = () =>
      new Promise<number>((resolve, reject) => {
        get({ host: '127.0.0.1', port, path: '/agreements', agent, headers: { authorization: `Bearer ${OFFICER}` } }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        }).on('error', reject);
      });
    expect(await officer()).toBe(200);
    // Guesses from the same address (loopback), each on a connection of its own.
    for (let n = 0; n < 11; n++) await t.guess(n, '127.0.0.1');
    expect((await t.guess(11, '127.0.0.1')).statusCode).toBe(429);
    expect((await t.request(OFFICER, '127.0.0.1')).statusCode).toBe(429);
    expect(await officer()).toBe(200);
    expect(connections).toBe(1);
  });

  it('counts clients behind a trusted proxy by their forwarded address, and nobody else by what they claim', async () => {
    const t = await start({ trustProxy: ['10.0.0.0/8'] });
    for (let n = 0; n < 11; n++) await t.guess(n, '10.0.0.5', '203.0.113.7');
    expect((await t.guess(11, '10.0.0.5', '203.0.113.7')).statusCode).toBe(429);
    // Another client through the same proxy is not affected.
    expect((await t.request(OFFICER, '10.0.0.5', '198.51.100.1')).statusCode).toBe(200);
    // A client that is not a trusted proxy cannot pick a new address for each guess.
    for (let n = 0; n < 11; n++) await t.guess(n, '192.0.2.9', `198.51.100.${n + 10}`);
    expect((await t.guess(11, '192.0.2.9', '198.51.100.99')).statusCode).toBe(429);
  });

  it('logs 1,000 bad guesses in a few lines: one summary for the address and window, none per request', async () => {
    const t = await start();
    const before = t.logs.length;
    for (let n = 0; n < 1000; n++) await t.guess(n);
    // The window ends: the next guess is checked, and the window's summary is written.
    t.clock.now += WINDOW_MS;
    expect((await t.guess(1000)).statusCode).toBe(401);
    await t.close();
    const lines = t.logs.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.length).toBeLessThan(10);
    expect(lines.filter((line) => line.msg === 'incoming request' || line.msg === 'request completed')).toEqual([]);
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, address: '203.0.113.7', failures: 10, refused: 990, windowSeconds: 60 }));
    // The next window's one failure is reported when the app closes.
    expect(lines).toContainEqual(expect.objectContaining({ level: 30, address: '203.0.113.7', failures: 1, refused: 0 }));
  });
});
