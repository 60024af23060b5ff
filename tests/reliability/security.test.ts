import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, TOKENS } from '../http/fixture.js';
import { addressOf, openSocket } from './raw-http.js';
import { isWrite, routesOf, urlFor, type RouteEntry } from './routes.js';

/**
 * Issue 8, test 4: who may do what. Routes come from the app's own router, so a new route is
 * covered without being listed here; only the public ones are named.
 */
const AGREEMENT = 'eu-security-readmission';
/** Public on purpose: health for load balancers, metrics for scrapers, the API description. */
const PUBLIC = [/^\/health$/, /^\/metrics$/, /^\/documentation(\/.*)?$/];
const isPublic = ({ path }: RouteEntry) => PUBLIC.some((pattern) => pattern.test(path));
const BAD_AUTHORIZATION = [
  'Bearer', 'Bearer ', `Basic ${Buffer.from(`alice:${TOKENS.officer}`).toString('base64')}`, `Token ${TOKENS.officer}`, TOKENS.officer,
  `Bearer ${TOKENS.officer}x`, `Bearer ${TOKENS.officer.slice(0, -1)}`, `Bearer ${TOKENS.officer} ${TOKENS.officer}`, `Bearer ${'a'.repeat(300)}`,
  'Bearer not-a-token-of-this-ledger-000', `Bearer\t${TOKENS.officer}`, `Bearer ${TOKENS.officer.toUpperCase()}`,
];

let ledger: Awaited<ReturnType<typeof startApp>>;
let routes: RouteEntry[];
let stepEventId: string;
const params = { id: AGREEMENT, party: 'EU' };
beforeAll(async () => {
  ledger = await startApp();
  routes = routesOf(ledger.app);
  expect(await ledger.as('officer', { method: 'POST', url: '/agreements', payload: { id: AGREEMENT, title: 'EU-Security Readmission Agreement', kind: 'readmission_agreement', parties: ['EU', 'Securia'] } })).toMatchObject({ statusCode: 201 });
  const step = await ledger.as('officer', { method: 'POST', url: `/agreements/${AGREEMENT}/steps`, payload: { step: 'mandate_adopted', occurredOn: '2020' } });
  stepEventId = step.json().event.eventId;
});
afterAll(async () => ledger?.close());

/** A body each write route accepts, so that a refusal can only come from who is asking. */
function validBody(path: string): Record<string, unknown> {
  if (path === '/agreements') return { id: `eu-sec-${Math.random().toString(36).slice(2, 10)}`, title: 'Probe', kind: 'readmission_agreement', parties: ['EU', 'Probe'] };
  if (path.endsWith('/steps')) return { step: 'meeting_held', occurredOn: '2021', body: 'Joint Committee' };
  if (path.endsWith('/corrections')) return { eventId: stepEventId, changes: { note: 'corrected' }, reason: 'probe' };
  return {};
}

describe('authentication and authorisation', () => {
  it('finds the routes to check in the router (the check below is not vacuous)', () => {
    expect(routes.filter(isWrite).length).toBeGreaterThanOrEqual(3);
    expect(routes.filter((route) => !isPublic(route)).length).toBeGreaterThan(15);
    expect(routes).toContainEqual({ method: 'POST', path: '/agreements/:id/steps' });
  });

  it('answers 401 on every route but the public ones, without a token or with a malformed or unknown one', async () => {
    for (const route of routes.filter((candidate) => !isPublic(candidate))) {
      for (const authorization of [undefined, ...BAD_AUTHORIZATION]) {
        const response = await ledger.app.inject({
          method: route.method as 'GET', url: urlFor(route.path, params),
          headers: authorization === undefined ? {} : { authorization }, ...(isWrite(route) ? { payload: validBody(route.path) } : {}),
        });
        const what = `${route.method} ${route.path} with ${authorization === undefined ? 'no token' : JSON.stringify(authorization.slice(0, 40))}`;
        expect(response.statusCode, what).toBe(401);
        expect(response.headers['www-authenticate'], what).toMatch(/^Bearer /);
        if (route.method !== 'HEAD') expect(response.json(), what).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
      }
    }
  });

  it('serves the public routes without a token', async () => {
    for (const route of routes.filter((candidate) => isPublic(candidate) && candidate.method === 'GET')) {
      const response = await ledger.app.inject({ method: 'GET', url: urlFor(route.path, params) });
      expect(response.statusCode, route.path).not.toBe(401);
      expect(response.statusCode, route.path).toBeLessThan(500);
    }
  });

  it('answers 403 to every write by a viewer or an auditor, and writes nothing', async () => {
    const head = await ledger.store.headPosition();
    for (const route of routes.filter(isWrite)) {
      for (const role of ['viewer', 'auditor'] as const) {
        const response = await ledger.as(role, { method: route.method as 'POST', url: urlFor(route.path, params), payload: validBody(route.path) });
        expect(response.statusCode, `${role} ${route.method} ${route.path}`).toBe(403);
        expect(response.json()).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      }
      // The same request from an officer goes through: the 403 was about the role, nothing else.
      const officer = await ledger.as('officer', { method: route.method as 'POST', url: urlFor(route.path, params), payload: validBody(route.path) });
      expect(officer.statusCode, `officer ${route.method} ${route.path}: ${officer.body}`).toBe(201);
    }
    expect(await ledger.store.headPosition()).toBe(head + routes.filter(isWrite).length);
  });

  it('never writes a token to the log, whatever the route, role or outcome', async () => {
    const secrets = [...Object.values(TOKENS), ...BAD_AUTHORIZATION.map((value) => value.replace(/^\S+\s+/, '')).filter((value) => value.length >= 16)];
    ledger.logs.length = 0;
    // Everything the app may ever log, not only what the default level shows.
    ledger.app.log.level = 'trace';
    // Every route with every token (good, wrong and malformed): successes, 400s, 401s, 403s, 404s.
    for (const route of routes.filter((candidate) => candidate.path !== '/events/live')) {
      for (const authorization of [...Object.values(TOKENS).map((token) => `Bearer ${token}`), ...BAD_AUTHORIZATION]) {
        await ledger.app.inject({
          method: route.method as 'GET', url: urlFor(route.path, params), headers: { authorization, 'x-correlation-id': 'log-scan' },
          ...(isWrite(route) ? { payload: validBody(route.path) } : {}),
        });
      }
    }
    // The live feed streams forever: over a real connection, taken until its first bytes, then dropped.
    await ledger.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = addressOf(ledger.app.server);
    for (const token of Object.values(TOKENS)) {
      const socket = await openSocket(port);
      const firstBytes = new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString())));
      socket.write(`GET /events/live?agreement=${AGREEMENT} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`);
      expect(await firstBytes).toMatch(/^HTTP\/1\.1 200 /);
      socket.destroy();
    }
    const text = ledger.logs.join('');
    // The scan saw what it should: requests by each role were logged, with their actor.
    for (const actor of ['alice', 'bob', 'wall']) expect(text).toContain(`"actor":"${actor}"`);
    expect(text).toContain('"statusCode":401');
    for (const secret of secrets) expect(text.includes(secret), `a log line holds ${secret.slice(0, 6)}...`).toBe(false);
  }, 60_000);
});
