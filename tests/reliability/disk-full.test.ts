import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startApp } from '../http/fixture.js';

/** A small tmpfs to fill: mounting needs root (CI and these machines run as root). */
function mountSmallDisk(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-disk-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

/** Writes a file until the disk refuses more. */
function fillDisk(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

const disk = mountSmallDisk();
afterAll(() => {
  if (!disk) return;
  execFileSync('umount', [disk]);
  rmSync(disk, { recursive: true, force: true });
});

describe.skipIf(!disk)('a full disk (needs root to mount a small tmpfs)', () => {
  it('refuses writes with 503, keeps reads and the calendar working, says degraded, and recovers by itself once space is freed', async () => {
    const dir = join(disk!, 'data');
    mkdirSync(dir);
    const t = await startApp({ dir });
    try {
      const id = 'eu-nigeria-readmission';
      const registered = await t.as('officer', { method: 'POST', url: '/agreements', payload: { id, title: 'EU-Nigeria Readmission Agreement', kind: 'readmission_agreement', parties: ['EU', 'Nigeria'] } });
      expect(registered.statusCode).toBe(201);
      const step = (round: number) => t.as('officer', { method: 'POST', url: `/agreements/${id}/steps`, payload: { step: 'round_held', occurredOn: '2021-01-28', round, note: 'x'.repeat(2000) } });
      expect((await step(1)).statusCode).toBe(201);

      fillDisk(join(disk!, 'filler'));
      // Space already taken by the log's files is reused before the disk is asked for more.
      let round = 2;
      let refused;
      for (; round < 500; round++) {
        const answer = await step(round);
        if (answer.statusCode !== 201) {
          refused = answer;
          break;
        }
      }
      expect(refused?.statusCode).toBe(503);
      expect(refused?.headers['content-type']).toMatch(/^application\/problem\+json/);
      const acknowledged = round - 1;

      const health = await t.app.inject({ method: 'GET', url: '/health' });
      expect(health.statusCode).toBe(200);
      expect(health.json().status).toBe('degraded');
      expect(health.json().reasons).toEqual(expect.arrayContaining(['writes are failing']));
      expect(JSON.stringify(health.json())).not.toMatch(/agreement-|SQLITE|disk is full/);
      expect((await t.as('viewer', { method: 'GET', url: '/projections' })).json().storeDegraded.join(' ')).toMatch(/writes are failing: database or disk is full/);
      expect((await t.as('viewer', { method: 'GET', url: `/agreements/${id}` })).statusCode).toBe(200);
      expect((await t.as('viewer', { method: 'GET', url: '/agreements' })).statusCode).toBe(200);
      const calendar = await t.as('viewer', { method: 'GET', url: '/dashboard/calendar?from=2021&to=2021' });
      expect(calendar.statusCode).toBe(200);

      rmSync(join(disk!, 'filler'));
      expect((await step(round)).statusCode).toBe(201);
      const head = await t.store.headPosition();
      // The read model resumes on its own: no restart.
      await expect.poll(() => t.register.position, { timeout: 40_000, interval: 200 }).toBe(head);
      await expect.poll(async () => (await t.app.inject({ method: 'GET', url: '/health' })).json().status, { timeout: 40_000, interval: 500 }).toBe('ok');
      const agreement = (await t.as('viewer', { method: 'GET', url: `/agreements/${id}?minPosition=${head}` })).json();
      const row = (await t.as('viewer', { method: 'GET', url: `/agreements?minPosition=${head}` })).json().items.find((item: { id: string }) => item.id === id);
      expect(row.lastStep.step).toBe(agreement.lastStep.step);
      expect(row.lastPosition).toBe(head);
      const history = (await t.as('auditor', { method: 'GET', url: `/agreements/${id}/history` })).json();
      // Every acknowledged step is there, once; the refused one is not.
      expect(history.events).toHaveLength(1 + acknowledged + 1);
    } finally {
      await t.close();
    }
  }, 90_000);
});

describe('a read-model file that refuses writes while the log takes them', () => {
  it('stops the read model, says degraded, keeps answering, and resumes by itself from its checkpoint once storing works', async () => {
    const t = await startApp();
    const commit = t.documents.commit;
    try {
      const id = 'eu-nigeria-readmission';
      await t.as('officer', { method: 'POST', url: '/agreements', payload: { id, title: 'EU-Nigeria Readmission Agreement', kind: 'readmission_agreement', parties: ['EU', 'Nigeria'] } });
      expect(await t.register.waitFor(1, 2000)).toBe(true);
      t.documents.commit = () => {
        throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      };
      for (let round = 1; round <= 9; round++) {
        const recorded = await t.as('officer', { method: 'POST', url: `/agreements/${id}/steps`, payload: { step: 'round_held', occurredOn: '2021-01-28', round } });
        expect(recorded.statusCode).toBe(201);
      }
      await expect.poll(() => t.register.describe().state, { timeout: 5000 }).toBe('stopped');
      const health = (await t.app.inject({ method: 'GET', url: '/health' })).json();
      expect(health.status).toBe('degraded');
      expect(health.reasons).toEqual(['read model register stopped']);
      expect((await t.as('viewer', { method: 'GET', url: '/projections' })).json().projections[0].stopped.reason).toBe('its documents could not be stored: database or disk is full');
      expect((await t.as('viewer', { method: 'GET', url: '/dashboard/calendar?from=2021&to=2021' })).statusCode).toBe(200);
      expect((await t.as('viewer', { method: 'GET', url: `/agreements/${id}` })).statusCode).toBe(200);

      t.documents.commit = commit;
      const head = await t.store.headPosition();
      await expect.poll(() => t.register.describe(), { timeout: 10_000, interval: 100 }).toMatchObject({ state: 'live', position: head, checkpoint: head });
      expect((await t.app.inject({ method: 'GET', url: '/health' })).json().status).toBe('ok');
      const row = (await t.as('viewer', { method: 'GET', url: `/agreements?minPosition=${head}` })).json().items[0];
      const agreement = (await t.as('viewer', { method: 'GET', url: `/agreements/${id}` })).json();
      expect(row.lastStep).toMatchObject({ step: agreement.lastStep.step, occurredOn: agreement.lastStep.occurredOn });
      expect(row.lastPosition).toBe(head);
    } finally {
      t.documents.commit = commit;
      await t.close();
    }
  });
});
