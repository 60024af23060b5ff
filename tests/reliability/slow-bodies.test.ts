import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, TOKENS } from '../http/fixture.js';
import { addressOf, openSocket, rawRequest } from './raw-http.js';

/**
 * Issue 8, test 3 (slow and aborted bodies): clients that send headers and part of a body, then
 * stall, trickle or hang up, must not hold connections forever, nor keep others from being served.
 */
const AGREEMENT = 'eu-slow-readmission';
/** The longest a client may take to send one request before the server drops it (the requirement, not the setting). */
const GIVE_UP_WITHIN_MS = 20_000;

let ledger: Awaited<ReturnType<typeof startApp>>;
let port: number;
beforeAll(async () => {
  ledger = await startApp();
  // Node looks for expired requests every 30 s by default; sweeping often makes this test wait for
  // the app's own timeout rather than for the sweep. The timeout itself is left as the app sets it.
  (ledger.app.server as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = 200;
  await ledger.app.listen({ host: '127.0.0.1', port: 0 });
  port = addressOf(ledger.app.server).port;
  const created = await ledger.as('officer', { method: 'POST', url: '/agreements', payload: { id: AGREEMENT, title: 'EU-Slow Readmission Agreement', kind: 'readmission_agreement', parties: ['EU', 'Slow'] } });
  expect(created.statusCode).toBe(201);
});
afterAll(async () => ledger?.close());

const openConnections = () => new Promise<number>((resolve, reject) => ledger.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
const step = JSON.stringify({ step: 'meeting_held', occurredOn: '2021', body: 'Joint Readmission Committee', note: 'x'.repeat(500) });
const head = (length: number, close = false) =>
  `POST /agreements/${AGREEMENT}/steps HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKENS.officer}\r\n` +
  `Content-Type: application/json\r\nContent-Length: ${length}\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;

/** A socket the client keeps open: records what the server sent and whether the server ended it. */
interface Victim {
  socket: Socket;
  received: string;
  closed: Promise<void>;
}
async function victim(first: string): Promise<Victim> {
  const socket = await openSocket(port);
  const held: Victim = { socket, received: '', closed: new Promise((resolve) => socket.once('close', () => resolve())) };
  socket.on('data', (chunk: Buffer) => (held.received += chunk.toString()));
  socket.on('error', () => undefined);
  if (first) socket.write(first);
  return held;
}

describe('slow and aborted request bodies', () => {
  it('are dropped by the server in bounded time, while other clients are served and nothing is written', async () => {
    const baseline = await openConnections();
    const headBefore = await ledger.store.headPosition();

    // Headers, then ten bytes of a body that never comes.
    const stalled = await Promise.all(Array.from({ length: 5 }, () => victim(head(Buffer.byteLength(step)) + step.slice(0, 10))));
    // Headers, then one byte every 300 ms: each packet looks alive, the request never completes.
    const trickling = await Promise.all(Array.from({ length: 5 }, () => victim(head(Buffer.byteLength(step)))));
    let sent = 0;
    const trickle = setInterval(() => {
      for (const { socket } of trickling) if (!socket.destroyed) socket.write(step[sent % 10]!);
      sent++;
    }, 300);
    // Half the headers, then nothing.
    const slowHeaders = await Promise.all(Array.from({ length: 3 }, () => victim(head(Buffer.byteLength(step)).slice(0, 40))));
    // Connected, and not a byte since.
    const silent = await Promise.all(Array.from({ length: 2 }, () => victim('')));
    // Half a body, then the client hangs up.
    for (let i = 0; i < 5; i++) {
      const aborted = await victim(head(Buffer.byteLength(step)) + step.slice(0, 100));
      aborted.socket.destroy();
      await aborted.closed;
    }
    const hanging = [...stalled, ...trickling, ...slowHeaders, ...silent];
    await expect.poll(openConnections, { timeout: 5000 }).toBe(baseline + hanging.length);

    // Meanwhile others are served as usual.
    const served = await rawRequest(port, head(Buffer.byteLength(step), true), step);
    expect(served.status, served.body).toBe(201);
    expect((await rawRequest(port, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')).status).toBe(200);

    // The server, not the client, ends every hanging connection, and says why when it can.
    const dropped = await Promise.race([
      Promise.all(hanging.map((held) => held.closed)).then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), GIVE_UP_WITHIN_MS)),
    ]);
    clearInterval(trickle);
    const stillOpen = hanging.filter((held) => !held.socket.destroyed && !held.socket.readableEnded).length;
    for (const held of hanging) held.socket.destroy();
    expect(dropped, `${stillOpen} of ${hanging.length} slow clients still held a connection after ${GIVE_UP_WITHIN_MS / 1000} s`).toBe(true);
    for (const held of [...stalled, ...trickling]) expect(held.received).toMatch(/^HTTP\/1\.1 408 /);
    await expect.poll(openConnections, { timeout: 5000 }).toBe(baseline);

    // Only the one complete request was recorded; no partial body reached the log.
    expect(await ledger.store.headPosition()).toBe(headBefore + 1);
    expect(ledger.logs.filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
  }, GIVE_UP_WITHIN_MS + 20_000);

  it('writes nothing from a body cut short of its Content-Length by a client that half-closes', async () => {
    const headBefore = await ledger.store.headPosition();
    const held = await victim(head(Buffer.byteLength(step) + 50) + step);
    held.socket.end(); // half-close: "that is all the body there is"
    await held.closed;
    expect(await ledger.store.headPosition()).toBe(headBefore);
    expect(ledger.logs.filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
  });
});
