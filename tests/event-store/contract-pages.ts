import { expect, it } from 'vitest';
import type { EventStore, EventToAppend, StoredEvent } from '../../src/event-store/port.js';

/**
 * Part of the contract (called inside its subscriptions block): subscriptions read a page at a
 * time, and read models may ask for lean events. What projectors rely on.
 */
export function pagesContract(current: () => EventStore): void {
  const appendMany = async (stream: string, count: number) => {
    for (let start = 0; start < count; start += 500) {
      const events = Array.from({ length: Math.min(500, count - start) }, (_, i): EventToAppend => ({
        type: 'RoundHeld',
        // Keys in an order JSON.stringify keeps, an escape and a non-ASCII letter: the text must be the data's own.
        data: { round: start + i, note: 'Brussels "22/23" — Tbilisi', nested: { b: 1, a: [start + i] } },
      }));
      await current().append(stream, events, { expectedRevision: 'any' });
    }
  };

  async function firstEvents<T>(iterable: AsyncIterable<T>, count: number): Promise<T[]> {
    const seen: T[] = [];
    for await (const item of iterable) {
      seen.push(item);
      if (seen.length === count) break;
    }
    return seen;
  }

  async function firstPages<T>(pages: AsyncIterable<readonly T[]>, count: number): Promise<T[][]> {
    const seen: T[][] = [];
    let events = 0;
    for await (const page of pages) {
      seen.push([...page]);
      events += page.length;
      if (events >= count) break;
    }
    return seen;
  }

  it('delivers the same events a page at a time as one at a time, no page empty, none repeated', async () => {
    await appendMany('agreement-pages', 2500);
    await current().append('other-pages', [{ type: 'Elsewhere', data: {} }], { expectedRevision: 'any' });
    const oneByOne = current().subscribe({ fromPosition: 1, streamPrefix: 'agreement-' });
    const single = await firstEvents(oneByOne, 2500);
    await oneByOne.close();
    const paged = current().subscribe({ fromPosition: 1, streamPrefix: 'agreement-' });
    const pages = await firstPages(paged.pages(), 2500);
    await paged.close();
    expect(pages.every((page) => page.length > 0)).toBe(true);
    expect(pages.flat()).toEqual(single);
  });

  it('gives read models the events without metadata and hash, with the data as stored when it is text', async (context) => {
    const store = current();
    if (!store.subscribeForReadModels) return context.skip();
    await appendMany('agreement-lean', 1200);
    await store.append('other-lean', [{ type: 'Elsewhere', data: {} }], { expectedRevision: 'any' });
    const full = store.subscribe({ fromPosition: 1, streamPrefix: 'agreement-' });
    const expected = await firstEvents(full, 1200);
    await full.close();
    const lean = store.subscribeForReadModels({ fromPosition: 1, streamPrefix: 'agreement-' });
    const pages = await firstPages(lean.pages(), 1200);
    await lean.close();
    const events = pages.flat();
    expect(events.map(({ dataText: _text, ...event }) => event)).toEqual(expected.map(({ metadata: _m, hash: _h, ...event }: StoredEvent) => event));
    for (const event of events) {
      if (event.dataText !== undefined) expect(event.dataText).toBe(JSON.stringify(event.data));
    }
  });

  it('goes on with live events after the backlog, for read models too', async () => {
    const store = current();
    await appendMany('agreement-live-lean', 1000);
    const subscription = store.subscribeForReadModels?.({ fromPosition: 1 }) ?? store.subscribe({ fromPosition: 1 });
    const received = (async () => (await firstPages(subscription.pages(), 1002)).flat())();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await store.append('agreement-live-lean', [{ type: 'Late', data: { n: 1 } }, { type: 'Later', data: { n: 2 } }], { expectedRevision: 'any' });
    const events = await received;
    await subscription.close();
    expect(events).toHaveLength(1002);
    expect(events.slice(-2).map((event) => event.type)).toEqual(['Late', 'Later']);
    expect(new Set(events.map((event) => event.id)).size).toBe(1002);
  });
}
