import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoDatasetPath } from '../../src/application/demo-data.js';
import { startServer, stopServer } from './server-process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'ledger-e2e-http-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const officer = 'e2e-officer-secret-000000';
const env = { DATA_DIR: dataDir, DEMO_DATA: 'false', API_TOKENS: `alice:officer:${officer},wall:viewer:e2e-viewer-secret-00000000` };

describe('the real server process', () => {
  it('takes a real history over HTTP, and reads the same state back after a restart', async () => {
    const dataset = JSON.parse(readFileSync(demoDatasetPath(), 'utf8'));
    const { id, steps, ...registration } = dataset.agreements.find((a: { id: string }) => a.id === 'eu-nigeria-readmission');
    const headers = { authorization: `Bearer ${officer}`, 'content-type': 'application/json' };

    const first = await startServer(env);
    const created = await fetch(`${first.url}/agreements`, { method: 'POST', headers, body: JSON.stringify({ id, ...registration }) });
    expect(created.status).toBe(201);
    for (const step of steps) {
      const response = await fetch(`${first.url}/agreements/${id}/steps`, { method: 'POST', headers, body: JSON.stringify(step) });
      expect(response.status, JSON.stringify(step)).toBe(201);
    }
    const before = await (await fetch(`${first.url}/agreements/${id}`, { headers })).json();
    expect(before).toMatchObject({ id, status: 'negotiating', revision: steps.length });
    expect(first.logs.join('\n')).not.toContain(officer);
    expect(await stopServer(first.child)).toBe(0);

    const second = await startServer(env);
    const after = await fetch(`${second.url}/agreements/${id}`, { headers: { authorization: 'Bearer e2e-viewer-secret-00000000' } });
    expect(after.headers.get('etag')).toBe(`"${steps.length}"`);
    expect(await after.json()).toEqual(before);
    expect(await stopServer(second.child)).toBe(0);
  }, 60_000);
});
