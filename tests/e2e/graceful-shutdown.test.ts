import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyEvents } from '../../src/application/verify.js';
import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';
import { startServer, stopServer } from './server-process.js';

const OFFICER = 'officer-secret-shutdown-0123';
const VIEWER = 'viewer-secret-shutdown-01234';
const dataDir = mkdtempSync(join(tmpdir(), 'ledger-shutdown-'));
const started: ChildProcess[] = [];
afterAll(() => {
  // After a failed assertion a server may still run: it must not outlive the test.
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});
const start = async (environment: Record<string, string>) => {
  const server = await startServer(environment);
  started.push(server.child);
  return server;
};
const env = { DATA_DIR: dataDir, EVENT_STORE: 'sqlite', DEMO_DATA: 'false', API_TOKENS: `desk:officer:${OFFICER},wall:viewer:${VIEWER}` };

/** A live feed; `ended` settles true when the server ends the stream properly, false if it was cut. */
function openLiveFeed(base: string, token = VIEWER) {
  const target = new URL('/events/live', base);
  const ids: number[] = [];
  let response: IncomingMessage | undefined;
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  const ended = new Promise<boolean>((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, path: target.pathname, agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      response = res;
      res.setEncoding('utf8');
      res.once('data', () => opened());
      res.on('data', (chunk: string) => ids.push(...[...chunk.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]))));
      res.on('end', () => resolve(true));
      res.on('aborted', () => resolve(false));
      res.on('error', () => resolve(false));
    });
    req.on('error', reject);
    req.end();
  });
  return { ids, open, ended, response: () => response };
}

/**
 * A POST whose headers reach the server now and whose body follows later. `Expect: 100-continue`
 * makes Node answer `100 Continue` when it hands the request to Fastify, so once `received`
 * resolves the server is surely handling it: an in-flight request in the plainest sense.
 */
function slowPost(base: string, path: string, body: object, agent: Agent | false) {
  const target = new URL(path, base);
  const json = JSON.stringify(body);
  let send!: () => void;
  let received!: () => void;
  const receivedPromise = new Promise<void>((resolve) => (received = resolve));
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({
      host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent,
      headers: { authorization: `Bearer ${OFFICER}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(json), expect: '100-continue' },
    });
    req.on('continue', () => received());
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.flushHeaders();
    send = () => req.end(json);
  });
  return { received: receivedPromise, send: () => send(), answer };
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  child.removeAllListeners('exit');
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

async function post(base: string, path: string, body: object) {
  return fetch(new URL(path, base), { method: 'POST', headers: { authorization: `Bearer ${OFFICER}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe('SIGTERM', () => {
  it('answers every request in flight, ends live feeds cleanly, closes the store and exits 0 within 10 s; a restart finds it all', async () => {
    const server = await start(env);
    const feed = openLiveFeed(server.url);
    await feed.open;
    const agreements = ['eu-alpha-readmission', 'eu-beta-readmission', 'eu-gamma-readmission'];
    for (const id of agreements) {
      expect((await post(server.url, '/agreements', { id, title: `EU-${id} Readmission Agreement`, kind: 'readmission_agreement', parties: ['EU', id] })).status).toBe(201);
    }
    // The feed is live: it has streamed the three registrations.
    for (let waited = 0; feed.ids.length < 3 && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(feed.ids).toEqual([1, 2, 3]);
    // The running server counts its appends at /metrics, without a token.
    expect(await (await fetch(new URL('/metrics', server.url))).text()).toMatch(/^ledger_events_appended_total 3$/m);

    // Thirty writes the server has started on but whose bodies have not arrived yet; half of them on
    // keep-alive connections (as fetch and most clients send), which must not hold the server open.
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 15 });
    const inFlight = Array.from({ length: 30 }, (_, index) =>
      slowPost(server.url, `/agreements/${agreements[index % 3]}/steps`, { step: 'round_held', occurredOn: '2024', round: Math.floor(index / 3) + 1 }, index % 2 === 0 ? keepAlive : false));
    await Promise.all(inFlight.map((write) => write.received));

    const exited = exitOf(server.child);
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    // Shutdown has begun once the server ends the feed; only then do the bodies go out.
    expect(await feed.ended).toBe(true);
    for (const write of inFlight) write.send();
    const answers = await Promise.all(inFlight.map((write) => write.answer));
    const { code, signal } = await exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(10_000);

    keepAlive.destroy();
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 201));
    const acknowledged = answers.map((answer) => (JSON.parse(answer.body) as { event: { eventId: string } }).event.eventId);
    expect(new Set(acknowledged).size).toBe(30);
    expect(server.logs.some((line) => line.includes('"stopped"'))).toBe(true);
    // The store was closed, not abandoned: its write-ahead log was folded in and removed.
    expect(existsSync(join(dataDir, 'ledger.sqlite-wal'))).toBe(false);

    // A restart serves every acknowledged write, once; then the stopped log verifies.
    const again = await start(env);
    const log = (await (await fetch(new URL('/events?limit=1000', again.url), { headers: { authorization: `Bearer ${OFFICER}` } })).json()) as { events: Array<{ eventId: string }> };
    expect(log.events).toHaveLength(33);
    for (const id of acknowledged) expect(log.events.filter((event) => event.eventId === id)).toHaveLength(1);
    expect(await stopServer(again.child)).toBe(0);

    const store = new SqliteEventStore(join(dataDir, 'ledger.sqlite'));
    const report = await verifyEvents(store.readAll(), { contiguousPositions: true });
    await store.close();
    expect(report).toMatchObject({ ok: true, events: 33, streams: 3 });
  }, 60_000);

  it('does not wait for a live client that stopped reading: the feed is cut and the process still exits 0 in time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-shutdown-stuck-'));
    const server = await start({ ...env, DATA_DIR: dir });
    // An officer's feed carries each step's notes; a viewer's does not (its frames would fit in the socket buffers).
    const feed = openLiveFeed(server.url, OFFICER);
    await feed.open;
    // It reads nothing more: what the server writes piles up in socket buffers until it must wait for `drain`.
    feed.response()!.pause();
    const ids = Array.from({ length: 5 }, (_, index) => `eu-stuck-${index}-readmission`);
    for (const id of ids) expect((await post(server.url, '/agreements', { id, title: `EU-${id} Agreement`, kind: 'readmission_agreement', parties: ['EU', id] })).status).toBe(201);
    // About 14 KiB per event: 550 of them (8 MiB) are more than the socket buffers between the two
    // processes hold (here at most 4 MiB sent plus what the paused reader had announced).
    const alternativeDates = Array.from({ length: 10 }, () => ({ occurredOn: '2024', note: 'n'.repeat(1000) }));
    for (let round = 1; round <= 110; round++) {
      const answers = await Promise.all(ids.map((id) => post(server.url, `/agreements/${id}/steps`, { step: 'round_held', occurredOn: '2024', round, note: 'x'.repeat(4000), alternativeDates })));
      expect(answers.map((answer) => answer.status)).toEqual(ids.map(() => 201));
    }
    const signalledAt = Date.now();
    const exited = exitOf(server.child);
    server.child.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    // Reading again, the client finds its feed cut off (no clean end): it had not taken what was sent.
    feed.response()!.resume();
    expect(await feed.ended).toBe(false);
    expect(server.logs.some((line) => line.includes('live feed cut at shutdown'))).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
