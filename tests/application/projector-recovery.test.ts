import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { registerModel } from '../../projections/register/projection.js';
import { Projector } from '../../src/application/projector.js';
import { MemoryEventStore } from '../../src/event-store/memory/store.js';
import type { EventStore, Subscription } from '../../src/event-store/port.js';
import { MemoryDocumentStore } from '../../src/document-store/port.js';

/** A store whose log cannot be read: every subscription fails with `code`; counts them. */
function failingLog(code: string): { store: EventStore; subscriptions: () => number } {
  const inner = new MemoryEventStore();
  let count = 0;
  const failing = (): Subscription => {
    count++;
    const fail = async function* (): AsyncGenerator<never> {
      throw Object.assign(new Error(`read failed (${code})`), { code });
    };
    return { [Symbol.asyncIterator]: fail, pages: fail, close: async () => {} };
  };
  const store: EventStore = Object.create(inner, { subscribe: { value: failing }, subscribeForReadModels: { value: undefined } });
  return { store, subscriptions: () => count };
}

describe('a read model whose log cannot be read', () => {
  it('tries again by itself when the failure may pass (the store unavailable)', async () => {
    const { store, subscriptions } = failingLog('STORE_UNAVAILABLE');
    const projector = new Projector(store, new MemoryDocumentStore(), registerModel, pino({ level: 'silent' }));
    projector.start();
    await expect.poll(subscriptions, { timeout: 5000 }).toBeGreaterThan(1);
    await projector.stop();
  });

  it('stays stopped at damaged data, which reading again would meet again', async () => {
    const { store, subscriptions } = failingLog('INTEGRITY_BROKEN');
    const projector = new Projector(store, new MemoryDocumentStore(), registerModel, pino({ level: 'silent' }));
    projector.start();
    await expect.poll(() => projector.describe().state).toBe('stopped');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(subscriptions()).toBe(1);
    expect(projector.describe().stopped?.reason).toMatch(/INTEGRITY_BROKEN/);
    await projector.stop();
  });
});
