import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgreementState } from '../../domain/agreement/index.js';
import { MemoryEventStore } from '../../src/event-store/memory/store.js';
import { LiveFanout } from '../../src/http/live-fanout.js';
import { LiveSubscriber } from '../../src/http/live-subscriber.js';
import { TOKENS } from './fixture.js';
import { startLive } from './live-app.js';
import { connect } from './live-client.js';

const silent = pino({ level: 'silent' });

describe('GET /events/live, clients resuming from an old position', () => {
  let t: Awaited<ReturnType<typeof startLive>> | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('answers 503 TOO_MANY_CATCH_UPS with Retry-After to a fifth while four catch up; one following from now is taken, and a catch-up again once they are done', async () => {
    t = await startLive();
    await t.registerAgreement('eu-nigeria-readmission');
    for (const round of [1, 2, 3]) await t.round('eu-nigeria-readmission', round);
    const release = t.holdReads();
    const resuming = Array.from({ length: 4 }, () => connect(`${t!.base}/events/live?lastEventId=0`, TOKENS.viewer));
    await Promise.all(resuming.map((client) => client.ready));
    for (let waited = 0; t.reads.held < 4 && waited < 5000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(t.reads.held).toBe(4);

    const abort = new AbortController();
    const refused = await fetch(`${t.base}/events/live`, { headers: { authorization: `Bearer ${TOKENS.viewer}`, 'last-event-id': '1' }, signal: abort.signal });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.headers.get('retry-after')).toBe('5');
    const problem = (await refused.json()) as { detail: string };
    expect(problem).toMatchObject({ status: 503, code: 'TOO_MANY_CATCH_UPS', maxCatchUps: 4, retryAfterSeconds: 5 });
    expect(problem.detail).toContain('Last-Event-ID');
    abort.abort();
    const following = connect(`${t.base}/events/live`, TOKENS.viewer);
    expect((await following.ready).statusCode).toBe(200);

    release();
    for (const client of resuming) expect((await client.through(4)).map((frame) => frame.id)).toEqual([1, 2, 3, 4]);
    let again = connect(`${t.base}/events/live?lastEventId=0`, TOKENS.viewer);
    for (let tries = 0; (await again.ready).statusCode !== 200 && tries < 50; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      again = connect(`${t.base}/events/live?lastEventId=0`, TOKENS.viewer);
    }
    expect((await again.through(4)).map((frame) => frame.id)).toEqual([1, 2, 3, 4]);
    for (const client of [...resuming, following, again]) client.close();
  });
});

/** A response that takes everything written to it. */
function takingResponse() {
  const raw = Object.assign(new EventEmitter(), { destroyed: false, writableEnded: false, text: '' });
  return Object.assign(raw, {
    write: (chunk: Buffer) => ((raw.text += chunk.toString()), true),
    end: () => ((raw.writableEnded = true), raw.emit('close')),
    destroy: () => ((raw.destroyed = true), raw.emit('close')),
  });
}

describe('a catch-up over a long log', () => {
  it('gives the event loop back between slices while it shapes frames, however long it runs', async () => {
    const memory = new MemoryEventStore();
    for (let index = 0; index < 200; index++) {
      await memory.append(`agreement-eu-${index}-readmission`, [{ type: 'NegotiationRoundHeld', data: { occurredOn: '2021', round: 1 } }], { expectedRevision: 'any' });
    }
    // Each agreement a viewer's frame is shaped from costs half a millisecond of work on the event loop.
    const load = async () => {
      const until = performance.now() + 0.5;
      while (performance.now() < until);
      return { state: { steps: [], registration: undefined } as unknown as AgreementState, revision: 0 };
    };
    const fanout = new LiveFanout({ store: memory, load, registrationOf: () => undefined,
      today: () => '2026-12-02', maxCatchUps: 4, log: silent });
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    try {
      const raw = takingResponse();
      setImmediate(tick);
      await fanout.join(new LiveSubscriber(raw as unknown as ServerResponse, 'viewer', {}, 0, silent));
      ticking = false;
      expect([...raw.text.matchAll(/^id: /gm)]).toHaveLength(200);
      // 100 ms of work in slices of 2 ms: dozens of turns of the event loop in between.
      expect(turns).toBeGreaterThan(20);
    } finally {
      ticking = false;
      await fanout.close();
      await memory.close();
    }
  });
});
