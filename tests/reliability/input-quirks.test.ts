import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../http/fixture.js';

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
