import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApp, TOKENS } from './fixture.js';

type App = Awaited<ReturnType<typeof startApp>>;

const nigeria = { id: 'eu-nigeria-readmission', title: 'EU-Nigeria Readmission Agreement', kind: 'readmission_agreement', parties: ['EU', 'Nigeria'] };

describe('the agreement API', () => {
  let t: App;
  beforeEach(async () => {
    t = await startApp();
  });
  afterEach(async () => {
    await t.close();
  });

  const register = (body: object = nigeria) => t.as('officer', { method: 'POST', url: '/agreements', payload: body });
  const recordStep = (body: object, headers: Record<string, string> = {}, id = nigeria.id) =>
    t.as('officer', { method: 'POST', url: `/agreements/${id}/steps`, payload: body, headers });

  describe('POST /agreements', () => {
    it('registers an agreement: 201, Location, ETag and the agreement as it stands', async () => {
      const response = await register();
      expect(response.statusCode).toBe(201);
      expect(response.headers.location).toBe('/agreements/eu-nigeria-readmission');
      expect(response.headers.etag).toBe('"0"');
      expect(response.headers['ledger-position']).toBe('1');
      expect(response.json()).toMatchObject({ id: nigeria.id, binding: true, status: 'draft', revision: 0, allowedSteps: expect.arrayContaining(['round_held', 'signed']) });
    });

    it('answers 409 when the id is registered already', async () => {
      await register();
      const again = await register();
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ code: 'AGREEMENT_EXISTS', status: 409 });
    });

    it('answers 400 naming the field and the rule for a malformed registration', async () => {
      const response = await register({ ...nigeria, parties: ['EU'] });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ in: 'body', field: 'parties', rule: 'an agreement has at least two parties' }] });
      const unknownField = await register({ ...nigeria, colour: 'blue' });
      expect(unknownField.statusCode).toBe(400);
      expect(unknownField.json().detail).toContain('colour');
    });
  });

  describe('POST /agreements/{id}/steps', () => {
    beforeEach(async () => {
      await register();
    });

    it('records a step: 201 with the stored event, the new state, the allowed steps and the revision as ETag', async () => {
      const response = await recordStep({ step: 'round_held', occurredOn: '2021-01-28', round: 6, source: '004:217' });
      expect(response.statusCode).toBe(201);
      expect(response.headers.etag).toBe('"1"');
      const body = response.json();
      expect(body).toMatchObject({
        status: 'negotiating',
        revision: 1,
        event: { type: 'NegotiationRoundHeld', step: 'round_held', revision: 1, occurredOn: '2021-01-28', recordedBy: 'alice', data: { round: 6, source: '004:217' } },
      });
      expect(body.event.position).toBeGreaterThan(0);
      expect(new Date(body.event.recordedAt).toISOString()).toBe(body.event.recordedAt);
      expect(body.allowedSteps).toContain('negotiations_concluded');
    });

    it('answers 409 for an illegal step, with the current state and the allowed steps', async () => {
      await recordStep({ step: 'signed', occurredOn: '2022-05' });
      const response = await recordStep({ step: 'round_held', occurredOn: '2022-06' });
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ code: 'ILLEGAL_STEP', currentState: 'signed', allowedSteps: expect.arrayContaining(['ratified', 'entered_into_force']) });
    });

    it('answers 409 for a step no order of the dates can fit, naming the step it conflicts with and both dates', async () => {
      await recordStep({ step: 'negotiations_concluded', occurredOn: '2020-07-24' });
      const response = await recordStep({ step: 'signed', occurredOn: '2020-03' });
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ code: 'ILLEGAL_STEP', step: 'negotiations_concluded', occurredOn: '2020-07-24', conflictsWith: { step: 'signed', occurredOn: '2020-03' } });
    });

    it('answers 422 for a firm step dated after today, naming the tentative field', async () => {
      const response = await recordStep({ step: 'round_held', occurredOn: '2199', round: 1 });
      expect(response.statusCode).toBe(422);
      expect(response.json()).toMatchObject({ code: 'FUTURE_STEP_NOT_TENTATIVE', field: 'tentative' });
    });

    it.each([
      [{ step: 'round_held', occurredOn: '21/03/2021' }, 'occurredOn', /must be one of/],
      [{ step: 'signature', occurredOn: '2021' }, 'step', /must be one of: exploratory_talks_held/],
      [{ step: 'round_held', occurredOn: '2021', round: -1 }, 'round', /./],
      [{ step: 'round_held', occurredOn: '2021', roundNumber: 3 }, 'roundNumber', /./],
      [{ occurredOn: '2021' }, 'step', /./],
    ])('answers 400 for %j naming the field', async (body, field, rule) => {
      const response = await recordStep(body);
      expect(response.statusCode).toBe(400);
      const problem = response.json();
      expect(problem.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(problem.errors)).toContain(field);
      expect(problem.detail).toMatch(rule);
    });

    it('answers 404 for an unknown agreement and 400 for an id that is not a slug', async () => {
      const missing = await recordStep({ step: 'signed', occurredOn: '2021' }, {}, 'eu-nowhere-readmission');
      expect(missing.statusCode).toBe(404);
      expect(missing.json().code).toBe('AGREEMENT_NOT_FOUND');
      const traversal = await t.as('officer', { method: 'POST', url: '/agreements/..%2F..%2Fetc/steps', payload: { step: 'signed', occurredOn: '2021' } });
      expect(traversal.statusCode).toBe(400);
    });

    it('answers 413 for a body over the limit and 415 for a body that is not JSON', async () => {
      const big = await recordStep({ step: 'signed', occurredOn: '2021', note: 'x'.repeat(70_000) });
      expect(big.statusCode).toBe(413);
      expect(big.json().code).toBe('BODY_TOO_LARGE');
      const text = await t.as('officer', { method: 'POST', url: `/agreements/${nigeria.id}/steps`, payload: 'step=signed', headers: { 'content-type': 'text/plain' } });
      expect(text.statusCode).toBe(415);
      const broken = await t.as('officer', { method: 'POST', url: `/agreements/${nigeria.id}/steps`, payload: '{"step":', headers: { 'content-type': 'application/json' } });
      expect(broken.statusCode).toBe(400);
      expect(await t.store.streamRevision('agreement-eu-nigeria-readmission')).toBe(0);
    });

    it('makes a write conditional with If-Match: a stale revision gets 412 and nothing is written', async () => {
      const ok = await recordStep({ step: 'round_held', occurredOn: '2021-01', round: 6 }, { 'if-match': '"0"' });
      expect(ok.statusCode).toBe(201);
      const stale = await recordStep({ step: 'round_held', occurredOn: '2021-02', round: 7 }, { 'if-match': '"0"' });
      expect(stale.statusCode).toBe(412);
      expect(stale.json()).toMatchObject({ code: 'REVISION_MISMATCH', currentRevision: 1 });
      const malformed = await recordStep({ step: 'round_held', occurredOn: '2021-02', round: 7 }, { 'if-match': 'W/"1"' });
      expect(malformed.statusCode).toBe(400);
      expect(await t.store.streamRevision('agreement-eu-nigeria-readmission')).toBe(1);
    });

    it('replays a request with the same Idempotency-Key and refuses the key with another body (422)', async () => {
      const body = { step: 'round_held', occurredOn: '2021-01-28', round: 6 };
      const first = await recordStep(body, { 'idempotency-key': 'round-6' });
      const again = await recordStep(body, { 'idempotency-key': 'round-6' });
      expect(again.statusCode).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json().event).toEqual(first.json().event);
      const other = await recordStep({ ...body, occurredOn: '2021-01-29' }, { 'idempotency-key': 'round-6' });
      expect(other.statusCode).toBe(422);
      expect(other.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(await t.store.streamRevision('agreement-eu-nigeria-readmission')).toBe(1);
    });

    it('answers a retry that carries both If-Match and its Idempotency-Key with the original write, not 412', async () => {
      const body = { step: 'round_held', occurredOn: '2021-01-28', round: 6 };
      const first = await recordStep(body, { 'idempotency-key': 'k-1', 'if-match': '"0"' });
      const retry = await recordStep(body, { 'idempotency-key': 'k-1', 'if-match': '"0"' });
      expect(retry.statusCode).toBe(201);
      expect(retry.json().event.eventId).toBe(first.json().event.eventId);
    });

    it('refuses an Idempotency-Key reused on another agreement or for another route (422), writing nothing', async () => {
      await register({ ...nigeria, id: 'eu-other-readmission' });
      await recordStep({ step: 'round_held', occurredOn: '2021-01', round: 1 }, { 'idempotency-key': 'shared' });
      const elsewhere = await recordStep({ step: 'round_held', occurredOn: '2021-01', round: 1 }, { 'idempotency-key': 'shared' }, 'eu-other-readmission');
      expect(elsewhere.statusCode).toBe(422);
      expect(elsewhere.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
      const registered = await t.as('officer', { method: 'POST', url: '/agreements', payload: { ...nigeria, id: 'eu-third-readmission' }, headers: { 'idempotency-key': 'reg-1' } });
      expect(registered.statusCode).toBe(201);
      const stepWithSameKey = await recordStep({ step: 'signed', occurredOn: '2021' }, { 'idempotency-key': 'reg-1' }, 'eu-third-readmission');
      expect(stepWithSameKey.statusCode).toBe(422);
      expect(await t.store.streamRevision('agreement-eu-other-readmission')).toBe(0);
      expect(await t.store.streamRevision('agreement-eu-third-readmission')).toBe(0);
    });

    it('answers 404, not 412, to a conditional write on an agreement that does not exist', async () => {
      const response = await recordStep({ step: 'signed', occurredOn: '2021' }, { 'if-match': '"0"' }, 'eu-nowhere-readmission');
      expect(response.statusCode).toBe(404);
    });

    it('records every step of 20 concurrent writers on one agreement', async () => {
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => recordStep({ step: 'meeting_held', occurredOn: '2021-03', body: `Working group ${i}` })),
      );
      expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(201));
      expect(new Set(responses.map((r) => r.json().revision))).toEqual(new Set(Array.from({ length: 20 }, (_, i) => i + 1)));
      const history = await t.as('auditor', { method: 'GET', url: `/agreements/${nigeria.id}/history` });
      const bodies = history.json().events.filter((e: { step?: string }) => e.step === 'meeting_held').map((e: { data: { body: string } }) => e.data.body);
      expect(bodies.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `Working group ${i}`).sort());
    });
  });

  describe('POST /agreements/{id}/corrections', () => {
    it('corrects a step and withdraws another; the history shows each against what it corrects', async () => {
      await register({ ...nigeria, id: 'eu-cabo-verde-vfa-amendment', kind: 'visa_facilitation_agreement', parties: ['EU', 'Cabo Verde'] });
      const id = 'eu-cabo-verde-vfa-amendment';
      const signed = (await recordStep({ step: 'signed', occurredOn: '2021-03-21', source: '004:67' }, {}, id)).json();
      const meeting = (await recordStep({ step: 'meeting_held', occurredOn: '2021-06-29', body: 'Ministerial' }, {}, id)).json();
      const correction = await t.as('officer', {
        method: 'POST',
        url: `/agreements/${id}/corrections`,
        payload: { eventId: signed.event.eventId, changes: { occurredOn: '2021-03-18', source: '004:40' }, reason: 'the narrative gives 18 March 2021' },
      });
      expect(correction.statusCode).toBe(201);
      expect(correction.json().event).toMatchObject({ type: 'StepCorrected', recordedBy: 'alice' });
      const withdrawal = await t.as('officer', { method: 'POST', url: `/agreements/${id}/corrections`, payload: { eventId: meeting.event.eventId, withdraw: true, reason: 'not a meeting of this agreement' } });
      expect(withdrawal.statusCode).toBe(201);

      const agreement = (await t.as('viewer', { method: 'GET', url: `/agreements/${id}` })).json();
      expect(agreement.milestones.signed).toMatchObject({ occurredOn: '2021-03-18', eventId: signed.event.eventId });
      const history = (await t.as('auditor', { method: 'GET', url: `/agreements/${id}/history` })).json();
      const signature = history.events.find((e: { eventId: string }) => e.eventId === signed.event.eventId);
      expect(signature).toMatchObject({ occurredOn: '2021-03-21', effective: { occurredOn: '2021-03-18' }, correctedBy: [{ reason: 'the narrative gives 18 March 2021' }] });
      expect(history.events.find((e: { type: string }) => e.type === 'StepCorrected')).toMatchObject({ corrects: signed.event.eventId, recordedBy: 'alice' });
      expect(history.events.find((e: { eventId: string }) => e.eventId === meeting.event.eventId).withdrawnBy).toMatchObject({ reason: 'not a meeting of this agreement' });

      const trail = (await t.as('auditor', { method: 'GET', url: `/agreements/${id}/history?include=corrections` })).json();
      const versions = trail.events.find((e: { eventId: string }) => e.eventId === signed.event.eventId).versions;
      expect(versions).toMatchObject([
        { version: 1, data: { occurredOn: '2021-03-21', source: '004:67' }, by: 'alice', eventId: signed.event.eventId },
        { version: 2, data: { occurredOn: '2021-03-18', source: '004:40' }, by: 'alice', reason: 'the narrative gives 18 March 2021', changes: { occurredOn: '2021-03-18' } },
      ]);
      expect(versions[1].at >= versions[0].at).toBe(true);
      expect(trail.events.find((e: { eventId: string }) => e.eventId === meeting.event.eventId).versions.at(-1)).toMatchObject({ withdrawn: true, data: null, reason: 'not a meeting of this agreement' });
      expect((await t.as('auditor', { method: 'GET', url: `/agreements/${id}/history?include=everything` })).statusCode).toBe(400);
    });

    it('answers 400 without a reason and 404 for a step that does not exist', async () => {
      await register();
      const noReason = await t.as('officer', { method: 'POST', url: `/agreements/${nigeria.id}/corrections`, payload: { eventId: '00000000-0000-4000-8000-000000000000', changes: { occurredOn: '2020' } } });
      expect(noReason.statusCode).toBe(400);
      const missing = await t.as('officer', { method: 'POST', url: `/agreements/${nigeria.id}/corrections`, payload: { eventId: '00000000-0000-4000-8000-000000000000', changes: { occurredOn: '2020' }, reason: 'typo' } });
      expect(missing.statusCode).toBe(404);
      expect(missing.json().code).toBe('STEP_NOT_FOUND');
    });
  });

  describe('reading', () => {
    it('GET /agreements/{id} gives milestones, last step, planned steps and the revision; If-None-Match gives 304', async () => {
      await register();
      await recordStep({ step: 'round_held', occurredOn: '2021-01-28', round: 6 });
      await recordStep({ step: 'negotiations_concluded', occurredOn: '2021-Q4', tentative: true });
      const response = await t.as('viewer', { method: 'GET', url: `/agreements/${nigeria.id}` });
      expect(response.statusCode).toBe(200);
      expect(response.headers.etag).toBe('"2"');
      expect(response.json()).toMatchObject({
        status: 'negotiating',
        lastStep: { step: 'round_held', occurredOn: '2021-01-28' },
        planned: [{ step: 'negotiations_concluded', occurredOn: '2021-Q4', overdue: true }],
        nextPlanned: { step: 'negotiations_concluded', occurredOn: '2021-Q4', overdue: true },
        milestones: { signed: null, negotiationsConcluded: null },
        revision: 2,
      });
      const notModified = await t.as('viewer', { method: 'GET', url: `/agreements/${nigeria.id}`, headers: { 'if-none-match': '"2"' } });
      expect(notModified.statusCode).toBe(304);
      for (const weakOrList of ['W/"2"', '"1", "2"', '*']) {
        expect((await t.as('viewer', { method: 'GET', url: `/agreements/${nigeria.id}`, headers: { 'if-none-match': weakOrList } })).statusCode).toBe(304);
      }
      expect((await t.as('viewer', { method: 'GET', url: `/agreements/${nigeria.id}`, headers: { 'if-none-match': '"1"' } })).statusCode).toBe(200);
      const fulfilled = await recordStep({ step: 'negotiations_concluded', occurredOn: '2021-12-10' });
      expect(fulfilled.statusCode).toBe(201);
      expect((await t.as('viewer', { method: 'GET', url: `/agreements/${nigeria.id}` })).json().planned).toEqual([]);
      expect((await t.as('viewer', { method: 'GET', url: '/agreements/eu-nowhere' })).statusCode).toBe(404);
    });

    it('GET /agreements lists the register with filters and cursor pagination', async () => {
      await register();
      await register({ id: 'eu-belarus-mobility-partnership', title: 'EU-Belarus Mobility Partnership', kind: 'mobility_partnership', parties: ['EU', 'Belarus', 'Poland'] });
      const last = await register({ id: 'eu-belarus-readmission', title: 'EU-Belarus Readmission Agreement', kind: 'readmission_agreement', parties: ['EU', 'Belarus'] });
      const position = last.json().revision >= 0 ? (await t.store.headPosition()) : 0;
      const page = await t.as('viewer', { method: 'GET', url: `/agreements?minPosition=${position}&limit=2` });
      expect(page.statusCode).toBe(200);
      const first = page.json();
      expect(first.items.map((i: { id: string }) => i.id)).toEqual(['eu-belarus-readmission', 'eu-belarus-mobility-partnership']);
      expect(first.total).toBe(3);
      const second = (await t.as('viewer', { method: 'GET', url: `/agreements?limit=2&cursor=${first.nextCursor}` })).json();
      expect(second.items.map((i: { id: string }) => i.id)).toEqual(['eu-nigeria-readmission']);
      expect(second.nextCursor).toBeNull();
      const filtered = (await t.as('viewer', { method: 'GET', url: '/agreements?party=poland&binding=false&q=belarus%20mobility' })).json();
      expect(filtered.items.map((i: { id: string }) => i.id)).toEqual(['eu-belarus-mobility-partnership']);
      expect((await t.as('viewer', { method: 'GET', url: '/agreements?cursor=bogus' })).statusCode).toBe(400);
      expect((await t.as('viewer', { method: 'GET', url: '/agreements?status=flying' })).statusCode).toBe(400);
    });
  });

  describe('who may do what', () => {
    it('answers 401 without a token or with an unknown one, on every route but /health and /documentation', async () => {
      for (const [method, url] of [['GET', '/projections'], ['GET', '/agreements'], ['GET', '/agreements/x'], ['GET', '/agreements/x/history'], ['POST', '/agreements'], ['POST', '/agreements/x/steps'], ['POST', '/agreements/x/corrections']] as const) {
        const none = await t.app.inject({ method, url, payload: method === 'POST' ? {} : undefined });
        expect(none.statusCode, `${method} ${url}`).toBe(401);
        expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
        const wrong = await t.app.inject({ method, url, headers: { authorization: 'Bearer not-a-token-at-all-000' } });
        expect(wrong.statusCode).toBe(401);
      }
      expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
      const lowercaseScheme = await t.app.inject({ method: 'GET', url: '/agreements', headers: { authorization: `bearer ${TOKENS.viewer}` } });
      expect(lowercaseScheme.statusCode).toBe(200);
      expect((await t.app.inject({ method: 'GET', url: '/documentation/json' })).statusCode).toBe(200);
    });

    it('answers 403 to writes by an auditor or a viewer, and to history read by a viewer', async () => {
      await register();
      for (const role of ['auditor', 'viewer'] as const) {
        const write = await t.as(role, { method: 'POST', url: `/agreements/${nigeria.id}/steps`, payload: { step: 'signed', occurredOn: '2021' } });
        expect(write.statusCode).toBe(403);
        expect(write.json().code).toBe('FORBIDDEN');
      }
      expect((await t.as('viewer', { method: 'GET', url: `/agreements/${nigeria.id}/history` })).statusCode).toBe(403);
      expect((await t.as('auditor', { method: 'GET', url: `/agreements/${nigeria.id}/history` })).statusCode).toBe(200);
      expect(await t.store.streamRevision('agreement-eu-nigeria-readmission')).toBe(0);
    });

    it('logs the request id, the actor and the outcome, and never a token', async () => {
      await t.as('officer', { method: 'POST', url: '/agreements', payload: nigeria, headers: { 'x-request-id': 'req-7' } });
      const lines = t.logs.map((line) => JSON.parse(line));
      expect(lines.some((line) => line.reqId === 'req-7' && line.actor === 'alice' && line.res?.statusCode === 201)).toBe(true);
      for (const secret of Object.values(TOKENS)) expect(t.logs.join('\n')).not.toContain(secret);
    });
  });

  describe('errors', () => {
    it('answers 503 when the store cannot be used, and writes nothing', async () => {
      await register();
      await t.store.close();
      const response = await recordStep({ step: 'signed', occurredOn: '2021' }, { 'x-request-id': 'req-500' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ code: 'STORE_CLOSED', requestId: 'req-500' });
    });
  });

  describe('documentation', () => {
    it('describes every route with its request, response and error schemas in OpenAPI 3', async () => {
      const document = (await t.app.inject({ method: 'GET', url: '/documentation/json' })).json();
      expect(document.openapi).toMatch(/^3\./);
      const steps = document.paths['/agreements/{id}/steps'].post;
      expect(steps.requestBody.content['application/json'].schema).toBeDefined();
      expect(Object.keys(steps.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '404', '409', '412', '413', '422']));
      for (const path of ['/agreements', '/agreements/{id}', '/agreements/{id}/history', '/agreements/{id}/corrections', '/health']) expect(document.paths[path]).toBeDefined();
      expect((await t.app.inject({ method: 'GET', url: '/documentation' })).statusCode).toBeLessThan(400);
    });
  });
});
