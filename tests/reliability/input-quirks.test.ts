import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendClientErrorProblem } from '../../src/http/client-errors.js';
import { startApp, TOKENS } from '../http/fixture.js';
import { addressOf, rawRequest, type RawAnswer } from './raw-http.js';

/**
 * Issue 15, finding 10: requests that are not quite what they seem. Each refusal is a problem
 * that names the field and the rule, and a refused write leaves nothing behind.
 */
const AGREEMENT = 'eu-quirks-readmission';

let ledger: Awaited<ReturnType<typeof startApp>>;
beforeAll(async () => {
  ledger = await startApp();
  const created = await ledger.as('officer', { method: 'POST', url: '/agreements', payload: { id: AGREEMENT, title: 'EU-Quirks Readmission Agreement', kind: 'readmission_agreement', parties: ['EU', 'Quirks'] } });
  expect(created.statusCode, created.body).toBe(201);
});
afterAll(async () => ledger?.close());

const STEPS = `/agreements/${AGREEMENT}/steps`;
const step = (extra = '') => `{"step":"meeting_held","occurredOn":"2021","body":"Joint Committee"${extra}}`;

function post(body: string | Buffer, headers: Record<string, string> = {}) {
  return ledger.as('officer', { method: 'POST', url: STEPS, payload: body, headers: { 'content-type': 'application/json', ...headers } });
}

/** What a refused write must leave as it was: the agreement's revision and its history. */
async function footprint(): Promise<unknown> {
  const read = await ledger.as('viewer', { method: 'GET', url: `/agreements/${AGREEMENT}` });
  const history = await ledger.as('auditor', { method: 'GET', url: `/agreements/${AGREEMENT}/history` });
  return { revision: read.json().revision, events: history.json().events.length, head: await ledger.store.headPosition() };
}

describe('request bodies', () => {
  it('refuses a key that appears twice, at any depth and however it is spelled, naming it and its path, and records nothing', async () => {
    const before = await footprint();
    const cases = [
      ['{"step":"meeting_held","step":"signed","occurredOn":"2021"}', 'body.step: key "step" appears twice'],
      [step(',"body":"Council"'), 'body.body: key "body" appears twice'],
      [step(',"alternativeDates":[{"occurredOn":"2020"},{"occurredOn":"2020","note":"x","occurredOn":"2019"}]'), 'body.alternativeDates.1.occurredOn: key "occurredOn" appears twice'],
      ['{"step":"meeting_held","st\\u0065p":"signed","occurredOn":"2021"}', 'body.step: key "step" appears twice'],
    ] as const;
    for (const [body, detail] of cases) {
      const refused = await post(body);
      expect(refused.statusCode, body).toBe(400);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.json(), body).toMatchObject({ status: 400, code: 'DUPLICATE_KEY', detail });
    }
    expect(await footprint()).toEqual(before);
    // Equal keys in different objects are no duplicate.
    const siblings = await post(step(',"alternativeDates":[{"occurredOn":"2020","note":"a"},{"occurredOn":"2019","note":"a"}]'));
    expect(siblings.statusCode, siblings.body).toBe(201);
  });

  it('refuses keys that could change a prototype, as Fastify\'s own parser did', async () => {
    const before = await footprint();
    for (const [body, field] of [
      [step(',"__proto__":{"admin":true}'), 'body.__proto__'],
      [step(',"note":"x","alternativeDates":[{"constructor":{"prototype":{"admin":true}},"occurredOn":"2020"}]'), 'body.alternativeDates.0.constructor.prototype'],
      [step(',"\\u005f_proto__":{}'), 'body.__proto__'],
    ] as const) {
      const refused = await post(body);
      expect(refused.statusCode, body).toBe(400);
      expect(refused.json(), body).toMatchObject({ code: 'FORBIDDEN_KEY', detail: expect.stringContaining(`${field}: key`) });
    }
    expect(await footprint()).toEqual(before);
  });

  it('reads UTF-8 only: another charset is 415 naming application/json; charset=utf-8, bytes that are not UTF-8 are 400', async () => {
    const before = await footprint();
    const note = step(',"note":"Sévérité"');
    for (const [type, body] of [
      ['application/json; charset=latin1', Buffer.from(note, 'latin1')],
      ['application/json; charset=ISO-8859-1', Buffer.from(note, 'latin1')],
      ['application/json; charset=utf-16', Buffer.from(note, 'utf16le')],
      ['application/json;charset="UTF-16LE"', Buffer.from(note, 'utf16le')],
      ['Application/JSON; Charset = windows-1252', Buffer.from(step(), 'latin1')],
    ] as const) {
      const refused = await post(body, { 'content-type': type });
      expect(refused.statusCode, type).toBe(415);
      expect(refused.json(), type).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', detail: expect.stringContaining('the only allowed type is application/json; charset=utf-8') });
    }
    const undeclared = await post(Buffer.from(note, 'latin1'));
    expect(undeclared.statusCode).toBe(400);
    expect(undeclared.json()).toMatchObject({ code: 'INVALID_UTF8', detail: expect.stringMatching(/^body: is not valid UTF-8/) });
    expect(await footprint()).toEqual(before);
    for (const type of ['application/json; charset=utf-8', 'application/json; charset=UTF-8', 'application/json; charset="utf-8"', 'application/json']) {
      const accepted = await post(note, { 'content-type': type });
      expect(accepted.statusCode, `${type}: ${accepted.body}`).toBe(201);
    }
    const history = await ledger.as('auditor', { method: 'GET', url: `/agreements/${AGREEMENT}/history` });
    expect(history.json().events.at(-1).data.note).toBe('Sévérité');
  });

  it('refuses a byte order mark, naming the rule', async () => {
    const before = await footprint();
    for (const bom of [Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from([0xff, 0xfe])]) {
      const refused = await post(Buffer.concat([bom, Buffer.from(step())]));
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ code: 'BYTE_ORDER_MARK', detail: expect.stringMatching(/^body: .*byte order mark/) });
    }
    expect(await footprint()).toEqual(before);
  });

  it('refuses every content coding but identity with 415 and Accept-Encoding: identity (RFC 9110 §15.5.16)', async () => {
    const before = await footprint();
    for (const [encoding, body] of [
      ['gzip', gzipSync(step())],
      ['gzip', Buffer.from(step())],
      ['br', Buffer.from(step())],
      ['identity, gzip', Buffer.from(step())],
    ] as const) {
      const refused = await post(body, { 'content-encoding': encoding });
      expect(refused.statusCode, encoding).toBe(415);
      expect(refused.headers['accept-encoding']).toBe('identity');
      expect(refused.json(), encoding).toMatchObject({ code: 'UNSUPPORTED_CONTENT_ENCODING', detail: expect.stringContaining('the only allowed coding is identity') });
    }
    expect(await footprint()).toEqual(before);
    expect((await post(step(), { 'content-encoding': 'identity' })).statusCode).toBe(201);
  });

  it('answers 415 for any other media type, saying that application/json is the one', async () => {
    const before = await footprint();
    for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'application/json-patch+json', undefined]) {
      const refused = await ledger.as('officer', { method: 'POST', url: STEPS, payload: step(), headers: type === undefined ? {} : { 'content-type': type } });
      expect(refused.statusCode, String(type)).toBe(415);
      expect(refused.json(), String(type)).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', detail: expect.stringContaining('the only allowed type is application/json; charset=utf-8') });
    }
    expect(await footprint()).toEqual(before);
  });
});

describe('date parameters', () => {
  const notADay = (day: string) => `${day} is not a day of the calendar`;
  it.each([
    ['/dashboard/stalled?asOf=2020-13-45', 'asOf', notADay('2020-13-45')],
    ['/dashboard/stalled?asOf=2021-02-30', 'asOf', notADay('2021-02-30')],
    ['/dashboard/stalled?asOf=2100-02-29', 'asOf', notADay('2100-02-29')],
    ['/dashboard/stalled?asOf=2021-Q4', 'asOf', 'must be a day, YYYY-MM-DD'],
    ['/dashboard/stalled?asOf=2021-03-01T00:00:00Z', 'asOf', 'must be a day, YYYY-MM-DD'],
    ['/dashboard/stalled?asOf=1850-01-01', 'asOf', 'year 1850 is outside 1900-2199'],
    ['/dashboard/calendar?from=2021-Q5&to=2022', 'from', 'must be one of'],
    ['/dashboard/calendar?from=2021&to=2021-02-30', 'to', notADay('2021-02-30')],
    ['/dashboard/calendar?from=2021-13&to=2022', 'from', 'month 13 does not exist'],
    ['/dashboard/pipeline?occurredBy=2021-H3', 'occurredBy', 'must be one of'],
    ['/dashboard/pipeline?recordedAsOf=2021-02-30T00:00:00Z', 'recordedAsOf', 'must be an ISO 8601 timestamp'],
    ['/agreements?occurredBy=2021-02-29/2021-03-01', 'occurredBy', notADay('2021-02-29')],
    ['/agreements?recordedAsOf=2020-13-45T10:00:00Z', 'recordedAsOf', 'must be an ISO 8601 timestamp'],
    [`/agreements/${AGREEMENT}/state?occurredBy=2020-13-45`, 'occurredBy', notADay('2020-13-45')],
    [`/agreements/${AGREEMENT}/state?recordedAsOf=2021-06-31T12:00:00Z`, 'recordedAsOf', 'must be an ISO 8601 timestamp'],
    [`/agreements/${AGREEMENT}/state?recordedAsOf=2021-06-30T24:00:00Z`, 'recordedAsOf', 'must be an ISO 8601 timestamp'],
  ])('refuses %s with 400 naming %s and the rule', async (url, field, rule) => {
    const answer = await ledger.as('auditor', { method: 'GET', url });
    expect(answer.statusCode, answer.body).toBe(400);
    expect(answer.json()).toMatchObject({ code: 'VALIDATION_FAILED', detail: expect.stringContaining(`querystring.${field}: ${rule}`) });
  });

  it('accepts the days the calendar has', async () => {
    for (const url of ['/dashboard/stalled?asOf=2020-02-29', '/dashboard/stalled?asOf=2000-02-29', '/dashboard/stalled?asOf=2021-12-31', `/agreements/${AGREEMENT}/state?recordedAsOf=2028-02-29T23:59:59Z`]) {
      const answer = await ledger.as('auditor', { method: 'GET', url });
      expect(answer.statusCode, `${url}: ${answer.body}`).toBe(200);
    }
  });
});

describe('requests Node\'s HTTP parser refuses', () => {
  function expectProblem(answer: RawAnswer, status: number, code: string, what: string): void {
    expect(answer.status, `${what}: ${answer.body}`).toBe(status);
    expect(answer.headers['content-type'], what).toMatch(/^application\/problem\+json/);
    expect(answer.headers['x-content-type-options'], what).toBe('nosniff');
    expect(answer.headers['connection'], what).toBe('close');
    const problem = JSON.parse(answer.body) as Record<string, unknown>;
    expect(problem, what).toMatchObject({ type: `urn:agreement-ledger:problem:${code.toLowerCase()}`, title: expect.any(String), status, code, detail: expect.any(String) });
    expect(Number(answer.headers['content-length']), what).toBe(Buffer.byteLength(answer.body));
  }

  it('answers a malformed request line or header with a 400 problem and closes the connection', async () => {
    await ledger.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = addressOf(ledger.app.server);
    const before = await footprint();
    const body = step();
    for (const [what, head] of [
      ['a request line that is not HTTP', 'hello there\r\n\r\n'],
      ['a method with a forbidden character', 'G@T /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'],
      ['a header without a colon', 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nNo colon here\r\n\r\n'],
      ['a control character in a header value', 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Note: a\u0001b\r\n\r\n'],
      ['Content-Length and Transfer-Encoding together', `POST ${STEPS} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n`],
      ['a bad chunk size', `POST ${STEPS} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKENS.officer}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${body}\r\n0\r\n\r\n`],
    ] as const) {
      const answer = await rawRequest(port, head, what.startsWith('Content-Length') ? body : '');
      expectProblem(answer, 400, 'MALFORMED_REQUEST', what);
      expect(JSON.parse(answer.body).detail, what).toMatch(/^not a valid HTTP\/1\.1 request: /);
    }
    expect(await footprint()).toEqual(before);
  });

  it('answers headers larger than Node takes with 431 HEADERS_TOO_LARGE', async () => {
    const { port } = addressOf(ledger.app.server);
    const answer = await rawRequest(port, `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`);
    expectProblem(answer, 431, 'HEADERS_TOO_LARGE', 'headers of 20 KB');
  });

  it('answers a request not received in time with 408 REQUEST_TIMEOUT', async () => {
    // The app's own timeout is 10 s; the same handler on a server with a short one shows the answer.
    const server = createServer({ requestTimeout: 300, connectionsCheckingInterval: 50 }, () => {});
    server.on('clientError', sendClientErrorProblem.bind({ log: ledger.app.log } as FastifyInstance));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const answer = await rawRequest(addressOf(server).port, 'POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n', '{"a"');
      expectProblem(answer, 408, 'REQUEST_TIMEOUT', 'a body that never ends');
    } finally {
      server.close();
    }
  });
});

describe('security headers', () => {
  const API_HEADERS = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'content-security-policy': expect.stringMatching(/^default-src 'none';.*frame-ancestors 'none'/),
  };

  it('sends nosniff, DENY framing and a CSP that lets nothing run on answers and on every kind of problem', async () => {
    const answers = {
      ok: await ledger.app.inject({ method: 'GET', url: '/health' }),
      read: await ledger.as('viewer', { method: 'GET', url: `/agreements/${AGREEMENT}` }),
      unauthenticated: await ledger.app.inject({ method: 'GET', url: '/agreements' }),
      forbidden: await ledger.as('viewer', { method: 'GET', url: '/events' }),
      unknownRoute: await ledger.as('viewer', { method: 'GET', url: '/no-such-thing' }),
      badUrl: await ledger.as('viewer', { method: 'GET', url: '/agreements/%E0%A4%A' }),
      invalid: await ledger.as('officer', { method: 'POST', url: `/agreements/${AGREEMENT}/steps`, payload: { step: 'no_such_step' } }),
    };
    expect(Object.fromEntries(Object.entries(answers).map(([what, answer]) => [what, answer.statusCode]))).toEqual({
      ok: 200, read: 200, unauthenticated: 401, forbidden: 403, unknownRoute: 404, badUrl: 400, invalid: 400,
    });
    for (const [what, answer] of Object.entries(answers)) expect(answer.headers, what).toMatchObject(API_HEADERS);
  });

  it('never lets a cache keep what only auditors may read, and lets agreements be revalidated', async () => {
    expect((await ledger.as('auditor', { method: 'GET', url: '/events' })).headers['cache-control']).toBe('no-store');
    expect((await ledger.as('auditor', { method: 'GET', url: `/agreements/${AGREEMENT}/history` })).headers['cache-control']).toBe('no-store');
    expect((await ledger.as('viewer', { method: 'GET', url: `/agreements/${AGREEMENT}` })).headers['cache-control']).toBeUndefined();
  });

  it('serves /documentation with a CSP that allows its own scripts and styles, none inline, and no framing', async () => {
    const page = await ledger.app.inject({ method: 'GET', url: '/documentation' });
    expect(page.statusCode).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toMatch(/style-src 'self'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(page.headers['x-frame-options']).toBe('DENY');
    // Every script the page runs is a file of its own, which script-src 'self' allows.
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>\s*\S/);
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(assets.filter((asset) => asset.endsWith('.js'))).toHaveLength(3);
    for (const asset of assets) {
      expect(asset, asset).toMatch(/^\/documentation\/static\//);
      const loaded = await ledger.app.inject({ method: 'GET', url: asset });
      expect(loaded.statusCode, asset).toBe(200);
    }
    const document = await ledger.app.inject({ method: 'GET', url: '/documentation/json' });
    expect(document.statusCode).toBe(200);
  });
});
