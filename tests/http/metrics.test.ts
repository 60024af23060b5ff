import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { registerModel } from '../../projections/register/projection.js';
import { buildApp } from '../../src/app.js';
import { CommandHandler } from '../../src/application/handle-command.js';
import { MeteredEventStore } from '../../src/application/metered-store.js';
import { LedgerMetrics } from '../../src/application/metrics.js';
import { Projector } from '../../src/application/projector.js';
import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';
import { TokenBook } from '../../src/http/tokens.js';
import { SqliteDocumentStore } from '../../src/document-store/sqlite-store.js';

const OFFICER = 'officer-secret-0123456789';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** Wired as server.ts wires it: the store counts appends into the same instruments /metrics shows. */
async function start({ project = true } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-metrics-'));
  const metrics = new LedgerMetrics();
  const store = new MeteredEventStore(new SqliteEventStore(join(dir, 'ledger.sqlite')), metrics);
  const logger = pino({ level: 'silent' });
  const documents = new SqliteDocumentStore(join(dir, 'read-models.sqlite'));
  const register = new Projector(store, documents, registerModel, logger);
  if (project) register.start();
  const app = await buildApp({ store, logger, handler: new CommandHandler(store), register, tokens: new TokenBook([{ name: 'alice', role: 'officer', secret: OFFICER }]), metrics });
  cleanups.push(async () => {
    await app.close();
    await register.stop();
    documents.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const as = (method: 'GET' | 'POST', url: string, payload?: object, headers: Record<string, string> = {}) =>
    app.inject({ method, url, ...(payload ? { payload } : {}), headers: { authorization: `Bearer ${OFFICER}`, ...headers } });
  return { app, store, as };
}

interface Sample { name: string; labels: Record<string, string>; value: number }

/** Parses the Prometheus text format (0.0.4) strictly: a line it does not recognise fails the test. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.split('\n')) {
    if (line === '' || /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/.test(line)) continue;
    // prom-client writes NaN as `Nan`: Prometheus reads values with Go's ParseFloat, which ignores case there.
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|nan|[+-]inf)$/i.exec(line);
    expect(match, `a sample line: ${line}`).not.toBeNull();
    const labels: Record<string, string> = {};
    const labelText = match![2] ?? '';
    const pairs = [...labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g)];
    expect(pairs.map((pair) => pair[0]).join(''), `labels of: ${line}`).toBe(labelText);
    for (const pair of pairs) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match![1]!, labels, value: Number(match![3]) });
  }
  return samples;
}

async function scrape(app: Awaited<ReturnType<typeof start>>['app']) {
  const response = await app.inject({ method: 'GET', url: '/metrics' });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  const samples = parseExposition(response.body);
  const value = (name: string, labels: Record<string, string> = {}) =>
    samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, wanted]) => sample.labels[key] === wanted))?.value;
  return { body: response.body, samples, value };
}

const nigeria = { id: 'eu-nigeria-readmission', title: 'EU-Nigeria Readmission Agreement', kind: 'readmission_agreement', parties: ['EU', 'Nigeria'] };
const ghana = { id: 'eu-ghana-readmission', title: 'EU-Ghana Readmission Agreement', kind: 'readmission_agreement', parties: ['EU', 'Ghana'] };

describe('GET /metrics', () => {
  it('counts requests by route template and status, appends, conflicts by code, the register\'s lag and the store\'s health', async () => {
    const { app, as } = await start();
    expect((await as('POST', '/agreements', nigeria)).statusCode).toBe(201);
    expect((await as('POST', '/agreements', ghana)).statusCode).toBe(201);
    expect((await as('POST', '/agreements', nigeria)).statusCode).toBe(409);
    for (const round of [1, 2]) expect((await as('POST', `/agreements/${nigeria.id}/steps`, { step: 'round_held', occurredOn: '2021', round })).statusCode).toBe(201);
    expect((await as('POST', `/agreements/${nigeria.id}/steps`, { step: 'signed', occurredOn: '2022' }, { 'if-match': '"0"' })).statusCode).toBe(412);
    expect((await as('POST', `/agreements/${ghana.id}/steps`, { step: 'signed', occurredOn: '2022' })).statusCode).toBe(201);
    expect((await as('POST', `/agreements/${ghana.id}/steps`, { step: 'round_held', occurredOn: '2023' })).statusCode).toBe(409);
    for (const id of [nigeria.id, ghana.id, nigeria.id]) expect((await as('GET', `/agreements/${id}`)).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/agreements/${nigeria.id}` })).statusCode).toBe(401);
    expect((await as('GET', '/no/such/route/eu-secret-agreement')).statusCode).toBe(404);
    expect((await as('GET', '/agreements?minPosition=5')).statusCode).toBe(200);

    const { body, value } = await scrape(app);
    const requests = (method: string, route: string, status: number) => value('ledger_http_requests_total', { method, route, status: String(status) });
    expect(requests('POST', '/agreements', 201)).toBe(2);
    expect(requests('POST', '/agreements', 409)).toBe(1);
    expect(requests('POST', '/agreements/:id/steps', 201)).toBe(3);
    expect(requests('POST', '/agreements/:id/steps', 412)).toBe(1);
    expect(requests('POST', '/agreements/:id/steps', 409)).toBe(1);
    expect(requests('GET', '/agreements/:id', 200)).toBe(3);
    expect(requests('GET', '/agreements/:id', 401)).toBe(1);
    expect(requests('GET', 'unmatched', 404)).toBe(1);
    // The histogram counts the same answers, with every observation in some bucket.
    const duration = { method: 'GET', route: '/agreements/:id', status: '200' };
    expect(value('ledger_http_request_duration_seconds_count', duration)).toBe(3);
    expect(value('ledger_http_request_duration_seconds_bucket', { ...duration, le: '+Inf' })).toBe(3);
    expect(value('ledger_http_request_duration_seconds_sum', duration)).toBeGreaterThan(0);
    expect(body).toContain('# TYPE ledger_http_requests_total counter');
    expect(body).toContain('# TYPE ledger_http_request_duration_seconds histogram');
    // Buckets are cumulative, as Prometheus' histogram_quantile reads them.
    const buckets = ['0.0005', '0.001', '0.01', '0.1', '1', '10', '+Inf'].map((le) => value('ledger_http_request_duration_seconds_bucket', { ...duration, le })!);
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    // Label values are route templates, never URLs: no agreement id appears anywhere.
    expect(body).not.toContain('eu-nigeria');
    expect(body).not.toContain('eu-secret-agreement');

    expect(value('ledger_http_conflicts_total', { status: '409', code: 'AGREEMENT_EXISTS' })).toBe(1);
    expect(value('ledger_http_conflicts_total', { status: '409', code: 'ILLEGAL_STEP' })).toBe(1);
    expect(value('ledger_http_conflicts_total', { status: '412', code: 'REVISION_MISMATCH' })).toBe(1);
    // Refused commands never reach the store: two registrations and three steps were appended.
    expect(value('ledger_appends_total', { outcome: 'appended' })).toBe(5);
    expect(value('ledger_appends_total', { outcome: 'conflict' })).toBe(0);
    expect(value('ledger_events_appended_total')).toBe(5);

    expect(value('ledger_event_store_up')).toBe(1);
    expect(value('ledger_event_store_head_position')).toBe(5);
    expect(value('ledger_projection_lag_events', { model: 'register' })).toBe(0);
    expect(value('ledger_projection_lag_seconds', { model: 'register' })).toBe(0);
    expect(value('ledger_projection_state', { model: 'register', state: 'live' })).toBe(1);
    expect(value('ledger_projection_state', { model: 'register', state: 'failed' })).toBe(0);
    // The process itself: memory and event-loop lag.
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(value('nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);

    // The scrape counts itself, from the next scrape on.
    expect((await scrape(app)).value('ledger_http_requests_total', { method: 'GET', route: '/metrics', status: '200' })).toBe(1);
  });

  it('shows how far behind a read model is, and 0 for a store that cannot be used; each app counts only its own requests', async () => {
    const behind = await start({ project: false });
    const other = await start();
    expect((await behind.as('POST', '/agreements', nigeria)).statusCode).toBe(201);
    for (const round of [1, 2]) expect((await behind.as('POST', `/agreements/${nigeria.id}/steps`, { step: 'round_held', occurredOn: '2021', round })).statusCode).toBe(201);

    const lagging = await scrape(behind.app);
    expect(lagging.value('ledger_projection_lag_events', { model: 'register' })).toBe(3);
    expect(lagging.value('ledger_projection_lag_seconds', { model: 'register' })).toBeGreaterThanOrEqual(0);
    expect(lagging.value('ledger_projection_state', { model: 'register', state: 'stopped' })).toBe(1);
    expect(lagging.value('ledger_http_requests_total', { method: 'POST', route: '/agreements', status: '201' })).toBe(1);
    expect((await scrape(other.app)).value('ledger_http_requests_total', { method: 'POST', route: '/agreements', status: '201' })).toBeUndefined();

    await behind.store.close();
    const down = await scrape(behind.app);
    expect(down.value('ledger_event_store_up')).toBe(0);
  });

  it('needs no token (scrapers carry none) and is listed in the API document', async () => {
    const { app } = await start();
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    const document = (await app.inject({ method: 'GET', url: '/documentation/json' })).json() as { paths: Record<string, { get?: { security?: unknown[] } }> };
    expect(document.paths['/metrics']?.get?.security).toEqual([]);
  });
});
