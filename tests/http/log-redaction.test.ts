import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions, redactQuery } from '../../src/http/log-redaction.js';
import { startApp, TOKENS } from './fixture.js';

let ledger: Awaited<ReturnType<typeof startApp>>;
beforeAll(async () => {
  ledger = await startApp();
});
afterAll(async () => ledger?.close());

const SECRET = 'query-secret-0123456789abcdef';

describe('the request log', () => {
  it('never holds a token sent in the query string, whatever the parameter is called', async () => {
    ledger.logs.length = 0;
    const urls = [`/agreements?access_token=${SECRET}-1`, `/agreements?limit=5&anything=${SECRET}-2`, `/agreements?${SECRET}-3`, `/health?access_token=${SECRET}-4`, `/agreements?acc%65ss_token=${SECRET}-5`];
    for (const url of urls) {
      await ledger.as('officer', { method: 'GET', url });
      await ledger.app.inject({ method: 'GET', url });
    }
    const text = ledger.logs.join('');
    expect(text).toContain('"msg":"incoming request"');
    expect(text).not.toContain(SECRET);
    // What the route declares stays readable; the rest is named as removed.
    expect(text).toContain('"url":"/agreements?limit=5&[redacted]"');
    expect(text).toContain('"url":"/health?[redacted]"');
  });

  it('censors credential headers wherever a line holds them', () => {
    const lines: string[] = [];
    const logger = pino(loggerOptions('info'), new Writable({ write: (chunk, _encoding, done) => (lines.push(chunk.toString()), done()) }));
    logger.info({ upstream: { headers: { authorization: `Bearer ${TOKENS.officer}`, cookie: `session=${SECRET}` } } }, 'proxied');
    expect(lines.join('')).not.toContain(TOKENS.officer);
    expect(lines.join('')).not.toContain(SECRET);
    expect(lines.join('')).toContain('"authorization":"[redacted]"');
  });
});

describe('redactQuery', () => {
  it('keeps declared parameters as written and replaces every other one, name and value', () => {
    const declared = new Set(['limit', 'after']);
    expect(redactQuery('/events', declared)).toBe('/events');
    expect(redactQuery('/events?limit=5&after=10', declared)).toBe('/events?limit=5&after=10');
    expect(redactQuery('/events?li%6Dit=5&token=x&after', declared)).toBe('/events?li%6Dit=5&[redacted]&after');
    expect(redactQuery('/events?%ZZ=1&&limit', declared)).toBe('/events?[redacted]&&limit');
  });
});
