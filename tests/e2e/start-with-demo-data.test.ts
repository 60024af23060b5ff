import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoDatasetPath } from '../../src/application/demo-data.js';
import { startServer as start, stopServer as stop } from './server-process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'ledger-e2e-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const dataset = JSON.parse(readFileSync(demoDatasetPath(), 'utf8')) as { agreements: Array<{ steps: unknown[] }> };
const demoEvents = dataset.agreements.length + dataset.agreements.reduce((sum, a) => sum + a.steps.length, 0);

describe('npm start on an empty data directory', () => {
  it('loads the demo data through the command path on first start, and not again on the next', async () => {
    const first = await start({ DATA_DIR: dataDir });
    const health = await (await fetch(`${first.url}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', store: { adapter: 'sqlite', headPosition: demoEvents } });
    expect(first.logs.some((line) => line.includes('"demo data loaded"'))).toBe(true);
    expect(first.logs.some((line) => line.includes('demo data step refused'))).toBe(false);
    // No API_TOKENS: tokens were generated into the data directory, readable by the owner only,
    // never written into the JSON log, and not printed when stderr is not a terminal (a pipe here).
    const tokenFile = join(dataDir, 'api-tokens.json');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const tokens = JSON.parse(readFileSync(tokenFile, 'utf8')) as Array<{ role: string; secret: string }>;
    const viewer = tokens.find((token) => token.role === 'viewer')!;
    expect(first.logs.filter((line) => line.startsWith('{')).join('\n')).not.toContain(viewer.secret);
    expect(first.logs.join('\n')).not.toContain(viewer.secret);
    expect(first.logs.join('\n')).toContain(`read them with: cat ${tokenFile}`);
    const register = await fetch(`${first.url}/agreements?limit=200`, { headers: { authorization: `Bearer ${viewer.secret}` } });
    expect(((await register.json()) as { total: number }).total).toBe(dataset.agreements.length);
    expect(await stop(first.child)).toBe(0);

    const second = await start({ DATA_DIR: dataDir });
    expect(await (await fetch(`${second.url}/health`)).json()).toMatchObject({ store: { headPosition: demoEvents } });
    expect(second.logs.some((line) => line.includes('demo data not loaded'))).toBe(true);
    expect(await stop(second.child)).toBe(0);
  }, 60_000);

  it('starts empty with DEMO_DATA=false', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'ledger-e2e-empty-'));
    const server = await start({ DEMO_DATA: 'false', DATA_DIR: empty });
    expect(await (await fetch(`${server.url}/health`)).json()).toMatchObject({ store: { headPosition: 0 } });
    expect(await stop(server.child)).toBe(0);
    rmSync(empty, { recursive: true, force: true });
  }, 60_000);
});
