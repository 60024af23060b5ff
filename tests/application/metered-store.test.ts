import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MeteredEventStore } from '../../src/application/metered-store.js';
import { LedgerMetrics } from '../../src/application/metrics.js';
import { MemoryEventStore } from '../../src/event-store/memory/store.js';
import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function sqliteStore(): SqliteEventStore {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-metered-'));
  dirs.push(dir);
  return new SqliteEventStore(join(dir, 'ledger.sqlite'));
}

/** The sample `name{labels} value` as /metrics shows it, or undefined when it is not there. */
async function sample(metrics: LedgerMetrics, line: string): Promise<number | undefined> {
  const found = (await metrics.scrape()).split('\n').find((text) => text.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

const round = (id: string) => ({ id, type: 'NegotiationRoundHeld', data: { round: 1 } });
const FIRST = '6f1c2a1e-0000-4000-8000-000000000001';
const SECOND = '6f1c2a1e-0000-4000-8000-000000000002';

describe('an event store metered for /metrics', () => {
  it('counts the appends made through it by outcome, and leaves the store it wraps as it was', async () => {
    const metrics = new LedgerMetrics();
    const inner = sqliteStore();
    const store = new MeteredEventStore(inner, metrics);
    await store.append('agreement-a', [round(FIRST)], { expectedRevision: 'no_stream' });
    await store.append('agreement-a', [round(FIRST)], { expectedRevision: 'no_stream' });
    await expect(store.append('agreement-a', [round(SECOND)], { expectedRevision: 5 })).rejects.toThrow();
    await expect(store.append('agreement a', [round(SECOND)], { expectedRevision: 'any' })).rejects.toThrow();
    // Straight to the wrapped store: not counted, it is not changed by being wrapped.
    await inner.append('agreement-b', [{ type: 'NegotiationRoundHeld', data: { round: 1 } }], { expectedRevision: 'no_stream' });
    await store.close();
    await expect(store.append('agreement-a', [round(SECOND)], { expectedRevision: 0 })).rejects.toThrow();

    expect(await sample(metrics, 'ledger_appends_total{outcome="appended"}')).toBe(1);
    expect(await sample(metrics, 'ledger_appends_total{outcome="replayed"}')).toBe(1);
    expect(await sample(metrics, 'ledger_appends_total{outcome="conflict"}')).toBe(1);
    expect(await sample(metrics, 'ledger_appends_total{outcome="refused"}')).toBe(1);
    expect(await sample(metrics, 'ledger_appends_total{outcome="failed"}')).toBe(1);
    expect(await sample(metrics, 'ledger_events_appended_total')).toBe(1);
  });

  it('offers the optional members of the store it wraps, and only those', async () => {
    const sqlite = sqliteStore();
    const metered = new MeteredEventStore(sqlite, new LedgerMetrics());
    expect(metered.densePositions).toBe(true);
    const before = metered.changeVersion?.();
    await metered.append('agreement-a', [round(FIRST)], { expectedRevision: 'no_stream' });
    expect(metered.changeVersion?.()).not.toBe(before);
    const subscription = metered.subscribeForReadModels!({ fromPosition: 1 });
    for await (const event of subscription) {
      expect(event).toMatchObject({ id: FIRST, position: 1 });
      expect(event).not.toHaveProperty('metadata');
      break;
    }
    await subscription.close();
    await metered.close();

    const memory = new MeteredEventStore(new MemoryEventStore(), new LedgerMetrics());
    expect('subscribeForReadModels' in memory).toBe(false);
    expect(typeof memory.importEvents).toBe('function');
  });
});
