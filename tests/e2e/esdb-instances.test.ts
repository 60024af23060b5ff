import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start, type RunningStandIn } from '../support/esdb-stand-in/server.js';
import { startServer, stopServer, type RunningServer } from './server-process.js';

/**
 * Two API instances on one EventStoreDB (the protocol stand-in, in this process), each with its
 * read models in its own data directory: what the compose deployment runs behind its proxy.
 */
const root = join(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'ledger-esdb-e2e-'));
const TOKENS = 'alice:officer:officer-secret-0123456789,ava:auditor:auditor-secret-0123456789';
const officer = { authorization: 'Bearer officer-secret-0123456789', 'content-type': 'application/json' };
const auditor = { authorization: 'Bearer auditor-secret-0123456789' };

let esdb: RunningStandIn;
let first: RunningServer;
let second: RunningServer;

beforeAll(async () => {
  esdb = await start();
  const env = (name: string) => ({ EVENT_STORE: 'esdb', ESDB_CONNECTION_STRING: esdb.connectionString, DATA_DIR: join(work, name), API_TOKENS: TOKENS, DEMO_DATA: 'false' });
  [first, second] = await Promise.all([startServer(env('one')), startServer(env('two'))]);
}, 60_000);

afterAll(async () => {
  await Promise.all([first && stopServer(first.child), second && stopServer(second.child)]);
  await esdb?.stop();
  rmSync(work, { recursive: true, force: true });
});

const post = (server: RunningServer, path: string, body: object) => fetch(`${server.url}${path}`, { method: 'POST', headers: officer, body: JSON.stringify(body) });
const get = (server: RunningServer, path: string) => fetch(`${server.url}${path}`, { headers: auditor });
const json = async (response: Response | Promise<Response>): Promise<any> => (await response).json();

describe('EVENT_STORE=esdb: two API instances on one EventStoreDB', () => {
  it('writes through either instance and reads its own writes through the other', async () => {
    const registered = await post(first, '/agreements', { id: 'eu-cabo-verde-visa-facilitation-amendment', title: 'EU-Cabo Verde VFA amendment', kind: 'visa_facilitation_agreement', parties: ['EU', 'Cabo Verde'] });
    expect(registered.status).toBe(201);
    const position = registered.headers.get('ledger-position')!;
    const seen = await get(second, `/agreements?minPosition=${position}`);
    expect(seen.status).toBe(200);
    expect((await json(seen)).items.map((item: { id: string }) => item.id)).toEqual(['eu-cabo-verde-visa-facilitation-amendment']);

    // The other instance decides on the agreement as the first one left it.
    const concluded = await post(second, '/agreements/eu-cabo-verde-visa-facilitation-amendment/steps', { step: 'negotiations_concluded', occurredOn: '2020-07-24' });
    expect(concluded.status).toBe(201);
    const signed = await post(first, '/agreements/eu-cabo-verde-visa-facilitation-amendment/steps', { step: 'signed', occurredOn: '2021-03-18' });
    expect(signed.status).toBe(201);
    const illegal = await post(second, '/agreements/eu-cabo-verde-visa-facilitation-amendment/steps', { step: 'negotiations_opened', occurredOn: '2021-04' });
    expect(illegal.status).toBe(409);
    expect(await json(illegal)).toMatchObject({ currentState: 'signed' });

    const last = signed.headers.get('ledger-position')!;
    const [one, two] = await Promise.all([get(first, `/agreements?minPosition=${last}`), get(second, `/agreements?minPosition=${last}`)]);
    const [pageOne, pageTwo] = [await json(one), await json(two)];
    expect(pageOne.items).toEqual(pageTwo.items);
    expect(pageOne.items[0]).toMatchObject({ status: 'signed', lastStep: { step: 'signed', occurredOn: '2021-03-18' } });
  }, 30_000);

  it('serves the same history, chain and dashboards from both instances', async () => {
    const head = Number((await json(get(first, '/health'))).store.headPosition);
    const read = async (server: RunningServer) => ({
      history: await json(get(server, '/agreements/eu-cabo-verde-visa-facilitation-amendment/history')),
      integrity: await json(get(server, '/agreements/eu-cabo-verde-visa-facilitation-amendment/integrity')),
      pipeline: await json(get(server, `/dashboard/pipeline?minPosition=${head}`)),
      health: await json(get(server, '/health')),
    });
    const [a, b] = await Promise.all([read(first), read(second)]);
    expect(a.history).toEqual(b.history);
    expect(a.integrity).toMatchObject({ ok: true });
    expect(a.integrity).toEqual(b.integrity);
    expect(a.pipeline).toEqual(b.pipeline);
    expect(a.health.store).toMatchObject({ ok: true, adapter: 'esdb' });
    expect(b.health.store).toMatchObject({ ok: true, adapter: 'esdb' });
  }, 30_000);
});

describe('EVENT_STORE=esdb start-up', () => {
  it('fails within a bounded time, naming the server, when EventStoreDB cannot be reached', () => {
    const started = performance.now();
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/server.ts')], {
      cwd: root,
      env: { ...process.env, PORT: '0', EVENT_STORE: 'esdb', ESDB_CONNECTION_STRING: 'esdb://127.0.0.1:1?tls=false', DATA_DIR: join(work, 'unreachable'), API_TOKENS: TOKENS, LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('agreement-ledger cannot start');
    expect(result.stderr).toContain('esdb://127.0.0.1:1');
    expect(result.stderr).not.toContain('    at ');
    expect(performance.now() - started).toBeLessThan(15_000);
  }, 30_000);
});
