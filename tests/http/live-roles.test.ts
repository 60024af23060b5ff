import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApp, TOKENS } from './fixture.js';
import { connect } from './live-client.js';

type App = Awaited<ReturnType<typeof startApp>>;

const AGREEMENT = 'eu-morocco-readmission';
const CORRECTION_REASON = 'the minutes name Rabat, not Brussels';
const WITHDRAWAL_REASON = 'recorded twice by mistake';
const CORRELATION = 'desk-batch-2024-07';

describe('GET /events/live, by role', () => {
  let t: App;
  let base: string;
  /** Step event ids by round. */
  const rounds = new Map<number, string>();

  beforeEach(async () => {
    t = await startApp();
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const write = async (url: string, payload: object) => {
      const answer = await t.as('officer', { method: 'POST', url, payload, headers: { 'x-correlation-id': CORRELATION } });
      expect(answer.statusCode, answer.body).toBe(201);
      return answer.json() as { event: { eventId: string } };
    };
    // Positions: 1 registered, 2-4 rounds 1-3, 5 round 1 corrected (Tangier -> Rabat), 6 round 2 withdrawn.
    await write('/agreements', { id: AGREEMENT, title: 'EU-Morocco Readmission Agreement', kind: 'readmission_agreement', parties: ['EU', 'Morocco'] });
    for (const round of [1, 2, 3]) rounds.set(round, (await write(`/agreements/${AGREEMENT}/steps`, { step: 'round_held', occurredOn: `2003-0${round}`, round, location: round === 1 ? 'Tangier' : 'Brussels' })).event.eventId);
    await write(`/agreements/${AGREEMENT}/corrections`, { eventId: rounds.get(1), changes: { location: 'Rabat' }, reason: CORRECTION_REASON });
    await write(`/agreements/${AGREEMENT}/corrections`, { eventId: rounds.get(2), withdraw: true, reason: WITHDRAWAL_REASON });
  });
  afterEach(async () => {
    await t.close();
  });

  /** Everything a viewer must never find in its feed: metadata, corrections, withdrawals, a withdrawn step, a superseded fact. */
  const expectNothingAViewerMayNotRead = (text: string) => {
    for (const secret of ['recordedBy', 'commandId', 'correlationId', 'recordedAt', '"alice"', CORRELATION, 'StepCorrected', 'StepWithdrawn', CORRECTION_REASON, WITHDRAWAL_REASON, rounds.get(2)!, '2003-02', 'Tangier']) {
      expect(text, `a viewer's feed holds ${secret}`).not.toContain(secret);
    }
  };

  /** Another agreement's registration, which every feed sends: the position read up to, so that nothing else is left to arrive. */
  const marker = async () => {
    const answer = await t.as('officer', { method: 'POST', url: '/agreements', payload: { id: 'eu-marker-readmission', title: 'Marker', kind: 'readmission_agreement', parties: ['EU', 'Marker'] } });
    expect(answer.statusCode, answer.body).toBe(201);
    return Number(answer.headers['ledger-position']);
  };

  it('gives a viewer resuming from 0 the history as the dashboards show it: no metadata, no corrections, no withdrawn step', async () => {
    const viewers = [connect(`${base}/events/live?lastEventId=0`, TOKENS.viewer), connect(`${base}/events/live`, TOKENS.viewer, { 'last-event-id': '0' })];
    await Promise.all(viewers.map((viewer) => viewer.ready));
    const last = await marker();
    for (const viewer of viewers) {
      const frames = (await viewer.through(last)).filter((frame) => frame.id < last);
      expect(frames.map((frame) => [frame.id, frame.event])).toEqual([
        [1, 'AgreementRegistered'], [2, 'NegotiationRoundHeld'], [4, 'NegotiationRoundHeld'], [5, 'agreement'], [6, 'agreement'],
      ]);
      // The corrected round with its facts as they stand; the agreement as GET /agreements/{id} shows it to a viewer.
      expect(frames[1]!.data).toMatchObject({ agreementId: AGREEMENT, position: 2, eventId: rounds.get(1), step: 'round_held', occurredOn: '2003-01', location: 'Rabat' });
      const shown = (await t.as('viewer', { method: 'GET', url: `/agreements/${AGREEMENT}` })).json();
      expect(frames[4]!.data).toEqual({ agreementId: AGREEMENT, position: 6, agreement: shown });
      expectNothingAViewerMayNotRead(viewer.text());
      viewer.close();
    }
  });

  it('never gives a viewer more by resuming from another position: each resume is the tail of the whole', async () => {
    const whole = connect(`${base}/events/live?lastEventId=0`, TOKENS.viewer);
    await whole.ready;
    const last = await marker();
    const all = (await whole.through(last)).map((frame) => JSON.stringify(frame));
    expect(all).toHaveLength(6);
    whole.close();
    for (const after of [1, 2, 3, 4, 5]) {
      const resumed = connect(`${base}/events/live`, TOKENS.viewer, { 'last-event-id': String(after) });
      await resumed.ready;
      const expected = all.filter((frame) => (JSON.parse(frame) as { id: number }).id > after);
      await resumed.through(last);
      expect(resumed.received.map((frame) => JSON.stringify(frame)), `resumed after ${after}`).toEqual(expected);
      expectNothingAViewerMayNotRead(resumed.text());
      resumed.close();
    }
  });

  it('tells a live viewer of a correction with the agreement as it now stands, not the correction', async () => {
    const viewer = connect(`${base}/events/live`, TOKENS.viewer);
    await viewer.ready;
    const answer = await t.as('officer', { method: 'POST', url: `/agreements/${AGREEMENT}/corrections`, payload: { eventId: rounds.get(3), changes: { location: 'Casablanca' }, reason: 'SECRET-REASON' } });
    expect(answer.statusCode).toBe(201);
    const [frame] = await viewer.until(1);
    expect(frame).toMatchObject({ id: 7, event: 'agreement', data: { agreementId: AGREEMENT, position: 7, agreement: { id: AGREEMENT, revision: 6 } } });
    expect(viewer.text()).not.toContain('SECRET-REASON');
    expect(viewer.text()).not.toContain('StepCorrected');
    viewer.close();
  });

  it('gives an auditor every event from 0 with its metadata, corrections and withdrawals, as GET /events does', async () => {
    const auditor = connect(`${base}/events/live?lastEventId=0`, TOKENS.auditor);
    await auditor.ready;
    const frames = await auditor.until(6);
    expect(frames.map((frame) => frame.event)).toEqual(['AgreementRegistered', 'NegotiationRoundHeld', 'NegotiationRoundHeld', 'NegotiationRoundHeld', 'StepCorrected', 'StepWithdrawn']);
    const log = (await t.as('auditor', { method: 'GET', url: '/events?after=0' })).json() as { events: Array<Record<string, unknown>> };
    expect(frames.map((frame) => frame.data)).toEqual(log.events.map(({ stream: _stream, hash: _hash, ...event }) => ({ agreementId: AGREEMENT, ...event })));
    expect(frames[5]!.data).toMatchObject({ recordedBy: 'alice', correlationId: CORRELATION, data: { withdrawnEventId: rounds.get(2), reason: WITHDRAWAL_REASON } });
    auditor.close();
  });
});
