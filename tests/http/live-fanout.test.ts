import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventStore } from '../../src/event-store/port.js';
import { MemoryEventStore } from '../../src/event-store/memory/store.js';
import { LiveFanout } from '../../src/http/live-fanout.js';
import { LiveSubscriber, MAX_BEHIND_BYTES, STALL_CUT_MS } from '../../src/http/live-subscriber.js';
import { TOKENS } from './fixture.js';
import { connect } from './live-client.js';
import { startLive } from './live-app.js';

const silent = pino({ level: 'silent' });

describe('GET /events/live, one reader for every client', () => {
  let t: Awaited<ReturnType<typeof startLive>> | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('serves 30 clients of every role and filter from one subscription to the store', async () => {
    t = await startLive();
    await t.registerAgreement('eu-nigeria-readmission');
    await t.registerAgreement('eu-ghana-readmission', ['EU', 'Ghana']);
    const before = t.subscriptions.count;
    const tokens = [TOKENS.viewer, TOKENS.auditor, TOKENS.officer];
    const queries = ['', '?agreement=eu-nigeria-readmission', '?partner=nigeria', '?kind=readmission_agreement', '?lastEventId=1'];
    const clients = Array.from({ length: 30 }, (_, index) => connect(`${t!.base}/events/live${queries[index % queries.length]}`, tokens[index % tokens.length]!));
    await Promise.all(clients.map((client) => client.ready));
    for (const round of [1, 2, 3]) await t.round('eu-nigeria-readmission', round);
    for (const client of clients) expect((await client.until(3)).slice(-3).map((frame) => frame.id)).toEqual([3, 4, 5]);
    expect(t.subscriptions.count - before).toBe(1);
    for (const client of clients) client.close();
  });

  it('answers 503 with Retry-After past LIVE_MAX_SUBSCRIBERS, and takes a client again once one leaves', async () => {
    t = await startLive({ liveMaxSubscribers: 3 });
    const clients = Array.from({ length: 3 }, () => connect(`${t!.base}/events/live`, TOKENS.viewer));
    await Promise.all(clients.map((client) => client.ready));
    // Over a real connection: an answer that is a stream would never end.
    const abort = new AbortController();
    const refused = await fetch(`${t.base}/events/live`, { headers: { authorization: `Bearer ${TOKENS.viewer}` }, signal: abort.signal });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.headers.get('retry-after')).toBe('5');
    const problem = (await refused.json()) as { detail: string };
    expect(problem).toMatchObject({ status: 503, code: 'TOO_MANY_SUBSCRIBERS', maxSubscribers: 3, retryAfterSeconds: 5 });
    expect(problem.detail).toContain('LIVE_MAX_SUBSCRIBERS');
    abort.abort();
    clients[0]!.close();
    let again = connect(`${t.base}/events/live`, TOKENS.viewer);
    for (let tries = 0; (await again.ready).statusCode !== 200 && tries < 50; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      again = connect(`${t.base}/events/live`, TOKENS.viewer);
    }
    expect(again.response()?.statusCode).toBe(200);
    again.close();
    for (const client of clients) client.close();
  });

  it('gives a client resuming from an old position every later event exactly once, while writes go on during its catch-up', async () => {
    t = await startLive();
    const agreements = ['eu-a-readmission', 'eu-b-readmission', 'eu-c-readmission'];
    for (const id of agreements) await t.registerAgreement(id);
    // Meetings: as many as the writes go on for (a round number stops at 1000).
    const write = (index: number) => t!.meeting(agreements[index % agreements.length]!);
    for (let index = 0; index < 700; index++) await write(index);
    // The shared feed is running ahead of the resuming clients.
    const watcher = connect(`${t.base}/events/live`, TOKENS.auditor);
    await watcher.ready;
    const before = await t.store.headPosition();
    const resume = (after: number, token: string) => connect(`${t!.base}/events/live`, token, { 'last-event-id': String(after) });
    const resumed = [5, 250, 480, 690].flatMap((after) => [TOKENS.auditor, TOKENS.viewer].map((token) => ({ after, token, client: resume(after, token) })));
    // Catch-ups beyond the ones the server takes at once are told 503 SERVER_BUSY: such a client comes back.
    const comeBack = () => {
      for (const entry of resumed) {
        if (entry.client.response()?.statusCode !== 503) continue;
        entry.client.close();
        entry.client = resume(entry.after, entry.token);
      }
    };
    // Writes go on until every client has caught up with the log as it was when they connected.
    const caughtUp = () => resumed.every(({ after, client }) => client.received.length >= before - after);
    const deadline = Date.now() + 10_000;
    for (let index = 0; (!caughtUp() || index < 30) && Date.now() < deadline; index++) {
      comeBack();
      await write(index);
    }
    await Promise.all(resumed.map(({ client }) => client.ready));
    // A last write, read up to by every client: nothing before it is left to arrive.
    const last = (await write(0)).events[0]!.position;
    expect(last).toBeGreaterThanOrEqual(before + 31);
    for (const { after, client } of resumed) {
      const frames = await client.through(last);
      expect(frames.map((frame) => frame.id)).toEqual(Array.from({ length: last - after }, (_, index) => after + 1 + index));
      client.close();
    }
    watcher.close();
  });
});

/** A response that takes everything written to it (`taking`) or nothing more (a client that stopped reading). */
function fakeResponse(taking: boolean) {
  const raw = new EventEmitter() as EventEmitter & { destroyed: boolean; writableEnded: boolean; text: string; write: (chunk: Buffer) => boolean; destroy: () => void; end: () => void };
  Object.assign(raw, { destroyed: false, writableEnded: false, text: '' });
  raw.write = (chunk) => {
    raw.text += chunk.toString();
    return taking;
  };
  raw.destroy = () => {
    raw.destroyed = true;
    raw.emit('close');
  };
  raw.end = () => {
    raw.writableEnded = true;
    raw.emit('close');
  };
  return raw;
}

describe('the shared feed, when a write lands while a client catches up', () => {
  it('hands the client over from its own read to the shared feed without a gap or a repeat', async () => {
    const memory = new MemoryEventStore();
    const append = (round: number) => memory.append('agreement-eu-x-readmission', [{ type: 'NegotiationRoundHeld', data: { occurredOn: '2021', round } }], { expectedRevision: 'any' });
    // A catch-up read can be held once it has read its page, as a slow disk or a busy loop would.
    let hold: Promise<void> | undefined;
    let held!: () => void;
    const heldNow = new Promise<void>((resolve) => (held = resolve));
    const store = new Proxy(memory, {
      get(target, name) {
        if (name === 'readAll') {
          return (options: Parameters<EventStore['readAll']>[0]) => (async function* () {
            const page = [];
            for await (const event of target.readAll(options)) page.push(event);
            const gate = hold;
            hold = undefined;
            if (gate) {
              held();
              await gate;
            }
            yield* page;
          })();
        }
        const value = Reflect.get(target, name) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    }) as EventStore;
    const fanout = new LiveFanout({ store, load: () => Promise.reject(new Error('no viewer here')), registrationOf: () => undefined,
      today: () => '2026-12-02', maxCatchUps: 4, log: silent });
    const ids = (raw: ReturnType<typeof fakeResponse>) => [...raw.text.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
    const until = async (check: () => boolean) => {
      for (let waited = 0; !check() && waited < 5000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
    };
    try {
      for (let round = 1; round <= 10; round++) await append(round);
      const watching = fakeResponse(true);
      await fanout.join(new LiveSubscriber(watching as unknown as ServerResponse, 'full', {}, 10, silent));
      let release!: () => void;
      hold = new Promise((resolve) => (release = resolve));
      const resuming = fakeResponse(true);
      const joined = fanout.join(new LiveSubscriber(resuming as unknown as ServerResponse, 'full', {}, 3, silent));
      // Its read of 4-10 is held while 11 is recorded and the shared feed sends it.
      await heldNow;
      await append(11);
      await until(() => ids(watching).includes(11));
      release();
      await joined;
      await append(12);
      await append(13);
      await until(() => ids(resuming).includes(13));
      expect(ids(resuming)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
      expect(ids(watching)).toEqual([11, 12, 13]);
    } finally {
      await fanout.close();
      await memory.close();
    }
  });
});

describe('a live client that stops reading', () => {
  const stuckResponse = () => fakeResponse(false);

  it('is cut once it is more than 16 MiB behind, and nothing sent to it waits for it', () => {
    const raw = stuckResponse();
    const subscriber = new LiveSubscriber(raw as unknown as ServerResponse, 'viewer', {}, 0, silent);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    for (let sent = 0; sent <= MAX_BEHIND_BYTES + 2 * chunk.length; sent += chunk.length) subscriber.send(chunk);
    expect(raw.destroyed).toBe(true);
    expect(subscriber.closed).toBe(true);
  });

  it('is cut once its socket has stayed full for 30 s', () => {
    vi.useFakeTimers();
    try {
      const raw = stuckResponse();
      const subscriber = new LiveSubscriber(raw as unknown as ServerResponse, 'full', {}, 0, silent);
      subscriber.send(Buffer.from('id: 1\nevent: AgreementRegistered\ndata: {}\n\n'));
      vi.advanceTimersByTime(STALL_CUT_MS - 1);
      expect(raw.destroyed).toBe(false);
      vi.advanceTimersByTime(1);
      expect(raw.destroyed).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('at shutdown, is cut after a second if it is not reading; one that reads is ended cleanly', async () => {
    vi.useFakeTimers();
    try {
      const stuck = stuckResponse();
      const reading = fakeResponse(true);
      const subscribers = [stuck, reading].map((raw) => new LiveSubscriber(raw as unknown as ServerResponse, 'full', {}, 0, silent));
      for (const subscriber of subscribers) subscriber.send(Buffer.from('id: 1\nevent: AgreementRegistered\ndata: {}\n\n'));
      const ended = subscribers.map((subscriber) => subscriber.end());
      expect([reading.writableEnded, reading.destroyed]).toEqual([true, false]);
      expect([stuck.writableEnded, stuck.destroyed]).toEqual([false, false]);
      vi.advanceTimersByTime(1000);
      await Promise.all(ended);
      expect([stuck.writableEnded, stuck.destroyed]).toEqual([false, true]);
    } finally {
      vi.useRealTimers();
    }
  });
});
