import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApp, TOKENS } from './fixture.js';
import { connect as connectAs } from './live-client.js';

type App = Awaited<ReturnType<typeof startApp>>;
const connect = (url: string, headers: Record<string, string> = {}) => connectAs(url, TOKENS.viewer, headers);

describe('GET /events/live', () => {
  let t: App;
  let base: string;
  beforeEach(async () => {
    t = await startApp();
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    await t.close();
  });

  const write = (url: string, payload: object) => t.as('officer', { method: 'POST', url, payload });

  it('streams steps recorded after connecting; after a disconnect, Last-Event-ID gets exactly the missed ones', async () => {
    await write('/agreements', { id: 'eu-nigeria-readmission', title: 'EU-Nigeria', kind: 'readmission_agreement', parties: ['EU', 'Nigeria'] });
    const first = connect(`${base}/events/live`);
    await first.ready;
    expect(first.response()?.headers['content-type']).toMatch(/^text\/event-stream/);
    for (const round of [6, 7]) await write('/agreements/eu-nigeria-readmission/steps', { step: 'round_held', occurredOn: `2021-0${round - 5}`, round });
    const seen = await first.until(2);
    expect(seen.map((e) => [e.event, e.data.step])).toEqual([['NegotiationRoundHeld', 'round_held'], ['NegotiationRoundHeld', 'round_held']]);
    first.close();

    for (const round of [8, 9, 10]) await write('/agreements/eu-nigeria-readmission/steps', { step: 'round_held', occurredOn: `2021-0${round - 5}`, round });
    const again = connect(`${base}/events/live`, { 'last-event-id': String(seen[1]!.id) });
    await again.ready;
    // A last step, read up to: nothing before it is left to arrive.
    const last = (await write('/agreements/eu-nigeria-readmission/steps', { step: 'round_held', occurredOn: '2021-06', round: 11 })).json().event.position as number;
    const missed = await again.through(last);
    expect(again.received.map((e) => e.id)).toEqual([seen[1]!.id + 1, seen[1]!.id + 2, seen[1]!.id + 3, last]);
    expect(missed.map((e) => e.data.position)).toEqual(missed.map((e) => e.id));
    again.close();
  });

  it('filters by agreement, partner and kind', async () => {
    await write('/agreements', { id: 'eu-nigeria-readmission', title: 'EU-Nigeria', kind: 'readmission_agreement', parties: ['EU', 'Nigeria'] });
    await write('/agreements', { id: 'eu-belarus-mobility-partnership', title: 'EU-Belarus MP', kind: 'mobility_partnership', parties: ['EU', 'Belarus', 'Poland'] });
    await t.register.waitFor(2, 2000);
    const byPartner = connect(`${base}/events/live?partner=poland`);
    const byKind = connect(`${base}/events/live?kind=readmission_agreement`);
    await Promise.all([byPartner.ready, byKind.ready]);
    await write('/agreements/eu-nigeria-readmission/steps', { step: 'round_held', occurredOn: '2021-01', round: 6 });
    await write('/agreements/eu-belarus-mobility-partnership/steps', { step: 'launched', occurredOn: '2016-10-13' });
    await write('/agreements/eu-nigeria-readmission/steps', { step: 'round_held', occurredOn: '2021-02', round: 7 });
    expect((await byPartner.until(1)).map((e) => e.data.agreementId)).toEqual(['eu-belarus-mobility-partnership']);
    expect((await byKind.until(2)).map((e) => e.data.agreementId)).toEqual(['eu-nigeria-readmission', 'eu-nigeria-readmission']);
    // A last step for Poland, read up to: nothing before it is left to arrive.
    const last = (await write('/agreements/eu-belarus-mobility-partnership/steps', { step: 'meeting_held', occurredOn: '2016-11', body: 'Marker' })).json().event.position as number;
    expect((await byPartner.through(last)).map((e) => [e.id, e.data.agreementId])).toEqual([[last - 2, 'eu-belarus-mobility-partnership'], [last, 'eu-belarus-mobility-partnership']]);
    byPartner.close();
    byKind.close();
  });

  it('needs a token, and refuses a Last-Event-ID that is not a position', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/events/live' })).statusCode).toBe(401);
    expect((await t.as('viewer', { method: 'GET', url: '/events/live', headers: { 'last-event-id': 'yesterday' } })).statusCode).toBe(400);
  });
});
