import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, TOKENS } from './fixture.js';
import { connect } from './live-client.js';

type App = Awaited<ReturnType<typeof startApp>>;

const DAMAGED = 'eu-damaged-readmission';
const SOUND = 'eu-sound-readmission';
const agreement = (id: string, partner: string) => ({ id, title: `EU-${partner} Readmission Agreement`, kind: 'readmission_agreement', parties: ['EU', partner] });

describe('GET /events/live over a damaged event', () => {
  let t: App | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    t = dir = undefined;
  });

  const write = async (app: App, url: string, payload: object) => {
    const answer = await app.as('officer', { method: 'POST', url, payload });
    expect(answer.statusCode, answer.body).toBe(201);
    return Number(answer.headers['ledger-position']);
  };
  /** Positions 1-4: the damaged agreement, registered with three rounds; 5-7 the sound one with two. */
  const fill = async (app: App) => {
    for (const [id, partner, rounds] of [[DAMAGED, 'Damaged', 3], [SOUND, 'Sound', 2]] as const) {
      await write(app, '/agreements', agreement(id, partner));
      for (let round = 1; round <= rounds; round++) await write(app, `/agreements/${id}/steps`, { step: 'round_held', occurredOn: `2020-0${round}`, round });
    }
  };
  const edit = (sql: string, ...params: unknown[]) => {
    const db = new Database(join(dir!, 'ledger.sqlite'));
    db.prepare(sql).run(...params);
    db.close();
  };
  const marker = (app: App, round: number) => write(app, `/agreements/${SOUND}/steps`, { step: 'round_held', occurredOn: `2020-0${round}`, round });
  const summary = (frames: Array<{ id: number; event: string; data: Record<string, unknown> }>) =>
    frames.map((frame) => (frame.event === 'damaged' ? [frame.id, frame.event, frame.data] : [frame.id, frame.event]));

  it('skips an event whose row does not decode with one `damaged` frame, to every role, and goes on', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-live-damage-'));
    t = await startApp({ dir });
    await fill(t);
    await t.close();
    edit('UPDATE events SET data = substr(data, 1, length(data) - 1) WHERE position = 3');
    t = await startApp({ dir });
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });

    const officer = connect(`${base}/events/live?lastEventId=0`, TOKENS.officer);
    const viewer = connect(`${base}/events/live?lastEventId=0`, TOKENS.viewer);
    await Promise.all([officer.ready, viewer.ready]);
    const last = await marker(t, 3);
    const damaged = { agreementId: DAMAGED, position: 3, code: 'INTEGRITY_BROKEN' };
    expect(summary(await officer.through(last))).toEqual([
      [1, 'AgreementRegistered'], [2, 'NegotiationRoundHeld'], [3, 'damaged', damaged], [4, 'NegotiationRoundHeld'],
      [5, 'AgreementRegistered'], [6, 'NegotiationRoundHeld'], [7, 'NegotiationRoundHeld'], [last, 'NegotiationRoundHeld'],
    ]);
    // A viewer's steps are shaped from the agreement as it stands, which cannot be read: none of its steps, one frame saying so.
    expect(summary(await viewer.through(last))).toEqual([
      [1, 'AgreementRegistered'], [2, 'damaged', damaged],
      [5, 'AgreementRegistered'], [6, 'NegotiationRoundHeld'], [7, 'NegotiationRoundHeld'], [last, 'NegotiationRoundHeld'],
    ]);
    // Resuming after the damaged frame, as a reconnecting client does: the rest, not the damage again.
    const resumed = connect(`${base}/events/live`, TOKENS.officer, { 'last-event-id': '3' });
    expect(summary(await resumed.through(last))).toEqual([[4, 'NegotiationRoundHeld'], [5, 'AgreementRegistered'], [6, 'NegotiationRoundHeld'], [7, 'NegotiationRoundHeld'], [last, 'NegotiationRoundHeld']]);
    for (const client of [officer, viewer, resumed]) client.close();
  });

  it('gives a viewer one `damaged` frame for an agreement whose hash chain is broken, its other agreements as always', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-live-damage-'));
    t = await startApp({ dir });
    await fill(t);
    await t.close();
    edit(`UPDATE events SET data = replace(data, '"round":2', '"round":9') WHERE position = 3`);
    t = await startApp({ dir });
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });

    const viewer = connect(`${base}/events/live?lastEventId=0`, TOKENS.viewer);
    await viewer.ready;
    const last = await marker(t, 3);
    expect(summary(await viewer.through(last))).toEqual([
      [1, 'AgreementRegistered'], [2, 'damaged', { agreementId: DAMAGED, position: 3, code: 'INTEGRITY_BROKEN' }],
      [5, 'AgreementRegistered'], [6, 'NegotiationRoundHeld'], [7, 'NegotiationRoundHeld'], [last, 'NegotiationRoundHeld'],
    ]);
    viewer.close();
  });

  it('keeps the shared feed and every client going when a damaged row is committed while they follow', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-live-damage-'));
    t = await startApp({ dir });
    await fill(t);
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const clients = [connect(`${base}/events/live`, TOKENS.officer), connect(`${base}/events/live`, TOKENS.viewer), connect(`${base}/events/live?partner=sound`, TOKENS.auditor)];
    await Promise.all(clients.map((client) => client.ready));
    // Another writer's row for the damaged agreement whose data does not decode, then a sound step.
    edit(
      `INSERT INTO events (position, event_id, stream, revision, type, data, metadata, recorded_at, hash) VALUES (8, ?, ?, 4, 'NegotiationRoundHeld', '{"occurredOn":"2020-04"', '{}', '2026-01-01T00:00:00.000Z', 'x')`,
      crypto.randomUUID(), `agreement-${DAMAGED}`,
    );
    expect(await marker(t, 3)).toBe(9);
    const last = await marker(t, 4);
    const damaged = [8, 'damaged', { agreementId: DAMAGED, position: 8, code: 'INTEGRITY_BROKEN' }];
    const [officer, viewer, bySound] = await Promise.all(clients.map((client) => client.through(last)));
    expect(summary(officer!)).toEqual([damaged, [9, 'NegotiationRoundHeld'], [last, 'NegotiationRoundHeld']]);
    expect(summary(viewer!)).toEqual([damaged, [9, 'NegotiationRoundHeld'], [last, 'NegotiationRoundHeld']]);
    expect(summary(bySound!)).toEqual([[9, 'NegotiationRoundHeld'], [last, 'NegotiationRoundHeld']]);
    for (const client of clients) client.close();
  });
});
