import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import {
  DuplicateEventIdError, EventTooLargeError, InvalidAppendError, StoreClosedError, VersionConflictError,
} from '../../src/event-store/errors.js';
import type { EventStore, EventToAppend, StoredEvent } from '../../src/event-store/port.js';
import { eventHash, GENESIS_HASH, hashMatches } from '../../src/event-store/hash-chain.js';
import { verifyEvents } from '../../src/application/verify.js';
import { pagesContract } from './contract-pages.js';

export interface StoreUnderTest {
  store: EventStore;
  /** Closes the store and opens its data again, for adapters that keep data across restarts. */
  reopen?: () => Promise<EventStore>;
  cleanup: () => Promise<void>;
  /**
   * Positions are 1, 2, 3... without gaps (default true). EventStoreDB's are byte offsets: only
   * strictly increasing, and a test then reads the positions it needs from the log.
   */
  densePositions?: boolean;
  /**
   * An event id stored in one stream is refused in any other (default true). EventStoreDB keeps no
   * index of ids across streams, so its adapter detects repeats within the stream only.
   */
  globalEventIds?: boolean;
  /**
   * Replaces the data of one stored event behind the adapter's back, as someone with access to its
   * storage could (the file, the server's log, the process's memory). Missing where the test cannot
   * reach the storage (a real EventStoreDB server).
   */
  tamper?: (stream: string, revision: number, data: Record<string, unknown>) => Promise<void>;
}

const event = (type = 'RoundHeld', data: Record<string, unknown> = { round: 1 }): EventToAppend =>
  ({ type, data }) as EventToAppend;

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** The same cases for every adapter: what callers of the port may rely on. */
export function eventStoreContract(adapter: string, open: () => Promise<StoreUnderTest>): void {
  describe(`event store contract: ${adapter}`, () => {
    let subject: StoreUnderTest;
    let store: EventStore;
    const dense = () => subject.densePositions !== false;
    /** The position of the n-th event of the log (1-based): n itself where positions are dense. */
    const nth = async (n: number): Promise<number> => {
      if (dense()) return n;
      const position = (await collect(store.readAll()))[n - 1]?.position;
      expect(position, `the log has an event number ${n}`).toBeTypeOf('number');
      return position!;
    };
    /** What headPosition() must say once the log holds exactly n events. */
    const headWith = async (n: number): Promise<number> => {
      if (dense() || n === 0) return n;
      expect(await collect(store.readAll())).toHaveLength(n);
      return nth(n);
    };
    const expectIncreasing = (positions: number[]) => {
      positions.forEach((position, index) => {
        if (index > 0) expect(position).toBeGreaterThan(positions[index - 1]!);
      });
    };
    beforeEach(async () => {
      subject = await open();
      store = subject.store;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    describe('appending and reading a stream', () => {
      it('reads an unknown stream as empty, at revision no_stream', async () => {
        expect(await collect(store.readStream('agreement-unknown'))).toEqual([]);
        expect(await store.streamRevision('agreement-unknown')).toBe('no_stream');
        expect(await store.headPosition()).toBe(0);
      });

      it('stores events with gap-free revisions from 0, global positions, ids and a recording time', async () => {
        const result = await store.append('agreement-a', [event('A'), event('B'), event('C')], { expectedRevision: 'no_stream' });
        expect(result.nextRevision).toBe(2);
        expect(result.idempotentReplay).toBe(false);
        const read = await collect(store.readStream('agreement-a'));
        expect(read.map((e) => [e.type, e.revision, e.stream])).toEqual([['A', 0, 'agreement-a'], ['B', 1, 'agreement-a'], ['C', 2, 'agreement-a']]);
        if (dense()) {
          expect(read.map((e) => e.position)).toEqual([1, 2, 3]);
          expect(result.position).toBe(3);
        } else {
          expectIncreasing(read.map((e) => e.position));
          expect(read[0]!.position).toBeGreaterThan(0);
          expect(result.position).toBe(read[2]!.position);
        }
        expect(new Set(read.map((e) => e.id)).size).toBe(3);
        for (const e of read) {
          expect(e.id).toMatch(/^[0-9a-f-]{36}$/);
          expect(new Date(e.recordedAt).toISOString()).toBe(e.recordedAt);
          expect(e.metadata).toEqual({});
          expect(e.data).toEqual({ round: 1 });
        }
        expect(result.events).toEqual(read);
      });

      it('keeps data and metadata exactly as given, unicode and nesting included', async () => {
        const data = { title: 'Accord UE–Bélarus ✓ 𝄞', nested: { list: [1, 2.5, null, true, 'x'], empty: {} } };
        const metadata = { actor: 'alice', commandId: randomUUID() };
        await store.append('agreement-u', [{ type: 'Registered', data, metadata }], { expectedRevision: 'any' });
        const [stored] = await collect(store.readStream('agreement-u'));
        expect(stored?.data).toEqual(data);
        expect(stored?.metadata).toEqual(metadata);
      });

      it('is not changed when the caller later mutates what it appended or what it read', async () => {
        const data = { round: 1 };
        await store.append('agreement-m', [{ type: 'RoundHeld', data }], { expectedRevision: 'no_stream' });
        data.round = 99;
        const [first] = await collect(store.readStream('agreement-m'));
        (first!.data as { round: number }).round = 42;
        const [again] = await collect(store.readStream('agreement-m'));
        expect(again?.data).toEqual({ round: 1 });
      });

      it('reads a stream forwards and backwards, from and to a revision', async () => {
        await store.append('agreement-r', Array.from({ length: 5 }, (_, i) => event(`E${i}`)), { expectedRevision: 'no_stream' });
        const types = async (options: Parameters<EventStore['readStream']>[1]) =>
          (await collect(store.readStream('agreement-r', options))).map((e) => e.type);
        expect(await types({ from: 2 })).toEqual(['E2', 'E3', 'E4']);
        expect(await types({ from: 1, to: 3 })).toEqual(['E1', 'E2', 'E3']);
        expect(await types({ direction: 'backwards' })).toEqual(['E4', 'E3', 'E2', 'E1', 'E0']);
        expect(await types({ direction: 'backwards', from: 3, to: 1 })).toEqual(['E3', 'E2', 'E1']);
        expect(await types({ from: 9 })).toEqual([]);
      });
    });

    describe('optimistic concurrency', () => {
      it('refuses an append at a stale revision with the expected and actual revisions, writing nothing', async () => {
        await store.append('agreement-c', [event(), event()], { expectedRevision: 'no_stream' });
        const error = await store.append('agreement-c', [event('Late')], { expectedRevision: 0 }).catch((e) => e);
        expect(error).toBeInstanceOf(VersionConflictError);
        expect(error).toMatchObject({ code: 'VERSION_CONFLICT', stream: 'agreement-c', expected: 0, actual: 1 });
        expect(await store.streamRevision('agreement-c')).toBe(1);
        expect(await store.headPosition()).toBe(await headWith(2));
      });

      it('honours no_stream, stream_exists, any and exact revisions', async () => {
        await expect(store.append('agreement-x', [event()], { expectedRevision: 'stream_exists' })).rejects.toMatchObject({
          expected: 'stream_exists', actual: 'no_stream',
        });
        await store.append('agreement-x', [event()], { expectedRevision: 'no_stream' });
        await expect(store.append('agreement-x', [event()], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(VersionConflictError);
        await store.append('agreement-x', [event()], { expectedRevision: 'stream_exists' });
        await store.append('agreement-x', [event()], { expectedRevision: 'any' });
        await store.append('agreement-x', [event()], { expectedRevision: 2 });
        expect(await store.streamRevision('agreement-x')).toBe(3);
      });

      it('lets exactly one of many concurrent writers at the same revision win', async () => {
        await store.append('agreement-race', [event()], { expectedRevision: 'no_stream' });
        const attempts = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => store.append('agreement-race', [event(`W${i}`), event(`W${i}b`)], { expectedRevision: 0 })),
        );
        expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
        expect(attempts.filter((a) => a.status === 'rejected' && a.reason instanceof VersionConflictError)).toHaveLength(19);
        const revisions = (await collect(store.readStream('agreement-race'))).map((e) => e.revision);
        expect(revisions).toEqual([0, 1, 2]);
      });

      it('loses nothing when 50 writers append concurrently with expectedRevision any', async () => {
        await Promise.all(
          Array.from({ length: 50 }, async (_, writer) => {
            for (let i = 0; i < 10; i++) {
              await store.append('agreement-shared', [{ type: 'RoundHeld', data: { writer, i } }], { expectedRevision: 'any' });
              await store.append(`agreement-w${writer}`, [{ type: 'RoundHeld', data: { i } }], { expectedRevision: i === 0 ? 'no_stream' : i - 1 });
            }
          }),
        );
        const shared = await collect(store.readStream('agreement-shared'));
        expect(shared.map((e) => e.revision)).toEqual(Array.from({ length: 500 }, (_, i) => i));
        const seen = new Set(shared.map((e) => `${e.data.writer}:${e.data.i}`));
        expect(seen.size).toBe(500);
        for (let writer = 0; writer < 50; writer++) expect(await store.streamRevision(`agreement-w${writer}`)).toBe(9);
        const positions = (await collect(store.readAll())).map((e) => e.position);
        expect(positions).toEqual([...positions].sort((a, b) => a - b));
        expect(new Set(positions).size).toBe(1000);
      });
    });

    describe('atomic and idempotent appends', () => {
      it('writes none of the events of an append when one of them is invalid', async () => {
        const bad = [event('A'), event('B'), { type: 'C', data: { when: new Date() } } as unknown as EventToAppend];
        await expect(store.append('agreement-atomic', bad, { expectedRevision: 'any' })).rejects.toBeInstanceOf(InvalidAppendError);
        expect(await store.streamRevision('agreement-atomic')).toBe('no_stream');
        expect(await store.headPosition()).toBe(0);
      });

      it('treats a retry with the same event ids as success, without duplicating', async () => {
        const ids = [randomUUID(), randomUUID()];
        const batch = ids.map((id, i) => ({ id, type: 'Signed', data: { i } }));
        const first = await store.append('agreement-i', batch, { expectedRevision: 'no_stream' });
        const retry = await store.append('agreement-i', batch, { expectedRevision: 'no_stream' });
        expect(retry.idempotentReplay).toBe(true);
        expect(retry.nextRevision).toBe(first.nextRevision);
        expect(retry.position).toBe(first.position);
        expect(retry.events.map((e) => e.id)).toEqual(ids);
        await store.append('agreement-i', [event('Later')], { expectedRevision: 1 });
        const lateRetry = await store.append('agreement-i', batch, { expectedRevision: 'no_stream' });
        expect(lateRetry.idempotentReplay).toBe(true);
        expect((await collect(store.readStream('agreement-i'))).map((e) => e.type)).toEqual(['Signed', 'Signed', 'Later']);
      });

      it('treats concurrent retries of one append as one append', async () => {
        const batch = [{ id: randomUUID(), type: 'Initialled', data: {} }];
        const results = await Promise.all(Array.from({ length: 5 }, () => store.append('agreement-ic', batch, { expectedRevision: 'any' })));
        expect(results.filter((r) => !r.idempotentReplay)).toHaveLength(1);
        expect(await store.headPosition()).toBe(await headWith(1));
      });

      it('refuses ids that are stored elsewhere or only partly match, and a retry at the wrong revision', async () => {
        const id = randomUUID();
        await store.append('agreement-d1', [{ id, type: 'A', data: {} }], { expectedRevision: 'no_stream' });
        if (subject.globalEventIds !== false) {
          await expect(store.append('agreement-d2', [{ id, type: 'A', data: {} }], { expectedRevision: 'any' })).rejects.toBeInstanceOf(
            DuplicateEventIdError,
          );
        }
        await expect(
          store.append('agreement-d1', [{ id, type: 'A', data: {} }, { id: randomUUID(), type: 'B', data: {} }], { expectedRevision: 'any' }),
        ).rejects.toBeInstanceOf(DuplicateEventIdError);
        await expect(
          store.append('agreement-d1', [{ id: randomUUID(), type: 'B', data: {} }, { id, type: 'A', data: {} }], { expectedRevision: 'any' }),
        ).rejects.toBeInstanceOf(DuplicateEventIdError);
        await expect(store.append('agreement-d1', [{ id, type: 'A', data: {} }], { expectedRevision: 5 })).rejects.toBeInstanceOf(
          VersionConflictError,
        );
        expect(await store.headPosition()).toBe(await headWith(1));
      });
    });

    describe('bad input', () => {
      const cases: Array<[string, () => Promise<unknown>]> = [
        ['an empty stream name', () => store.append('', [event()], { expectedRevision: 'any' })],
        ['a stream name with a slash', () => store.append('agreement/../x', [event()], { expectedRevision: 'any' })],
        ['a system-looking stream name', () => store.append('$all', [event()], { expectedRevision: 'any' })],
        ['an over-long stream name', () => store.append('a'.repeat(201), [event()], { expectedRevision: 'any' })],
        ['an empty event list', () => store.append('agreement-b', [], { expectedRevision: 'any' })],
        ['an empty type', () => store.append('agreement-b', [event('')], { expectedRevision: 'any' })],
        ['a type with spaces', () => store.append('agreement-b', [event('Round held')], { expectedRevision: 'any' })],
        ['a non-UUID event id', () => store.append('agreement-b', [{ id: 'abc', type: 'A', data: {} }], { expectedRevision: 'any' })],
        ['data that is an array', () => store.append('agreement-b', [{ type: 'A', data: [] as never }], { expectedRevision: 'any' })],
        ['NaN in data', () => store.append('agreement-b', [event('A', { n: Number.NaN })], { expectedRevision: 'any' })],
        ['undefined in data', () => store.append('agreement-b', [event('A', { n: undefined })], { expectedRevision: 'any' })],
        ['a function in data', () => store.append('agreement-b', [event('A', { f: () => 1 })], { expectedRevision: 'any' })],
        ['a bigint in data', () => store.append('agreement-b', [event('A', { n: 1n })], { expectedRevision: 'any' })],
        ['a __proto__ key', () => store.append('agreement-b', [event('A', JSON.parse('{"__proto__":{"x":1}}'))], { expectedRevision: 'any' })],
        ['a negative expected revision', () => store.append('agreement-b', [event()], { expectedRevision: -1 })],
        ['a made-up expected revision', () => store.append('agreement-b', [event()], { expectedRevision: 'latest' as never })],
        ['a duplicated id within one append', () => {
          const id = randomUUID();
          return store.append('agreement-b', [{ id, type: 'A', data: {} }, { id, type: 'B', data: {} }], { expectedRevision: 'any' });
        }],
      ];
      it.each(cases)('refuses %s with a typed error and writes nothing', async (_name, attempt) => {
        const error = await attempt().then(() => undefined, (e) => e);
        expect(error).toBeInstanceOf(InvalidAppendError);
        expect(error.message).toMatch(/\w+: .+/);
        expect(await store.headPosition()).toBe(0);
      });

      it('refuses circular data and data nested beyond the limit', async () => {
        const circular: Record<string, unknown> = {};
        circular.self = circular;
        await expect(store.append('agreement-b', [event('A', circular)], { expectedRevision: 'any' })).rejects.toBeInstanceOf(InvalidAppendError);
        expect(await store.headPosition()).toBe(0);
      });

      it('refuses an event over the size limit with its size and the limit', async () => {
        const error = await store.append('agreement-big', [event('A', { text: 'x'.repeat(300 * 1024) })], { expectedRevision: 'any' }).catch((e) => e);
        expect(error).toBeInstanceOf(EventTooLargeError);
        expect(error).toMatchObject({ code: 'EVENT_TOO_LARGE', limit: 256 * 1024 });
        expect(await store.headPosition()).toBe(0);
      });
    });

    describe('tamper evidence', () => {
      it('chains every event to the one before it in its stream, and the chain verifies', async () => {
        await store.append('agreement-h1', [event('A'), event('B')], { expectedRevision: 'no_stream' });
        await store.append('agreement-h2', [event('C')], { expectedRevision: 'no_stream' });
        await store.append('agreement-h1', [event('D')], { expectedRevision: 1 });
        const log = await collect(store.readAll());
        expect(log.every((e) => /^[0-9a-f]{64}$/.test(e.hash))).toBe(true);
        expect(new Set(log.map((e) => e.hash)).size).toBe(4);
        expect(await verifyEvents(store.readAll(), { contiguousPositions: dense() })).toEqual({ ok: true, events: 4, streams: 2 });
        expect(await verifyEvents(store.readStream('agreement-h1'))).toMatchObject({ ok: true, events: 3 });
        const [first] = await collect(store.readStream('agreement-h1'));
        expect(first!.hash).toBe(eventHash(first!, GENESIS_HASH));
      });

      it('hashes the data as stored, key order included: reading keeps the order, and a reordered copy does not verify', async () => {
        await store.append('agreement-k1', [{ id: '11111111-1111-4111-8111-111111111111', type: 'A', data: { b: { d: 3, c: 2 }, a: 1 } }], { expectedRevision: 'no_stream' });
        const [stored] = await collect(store.readStream('agreement-k1'));
        expect(JSON.stringify(stored!.data)).toBe('{"b":{"d":3,"c":2},"a":1}');
        expect(eventHash(stored!, GENESIS_HASH)).toBe(stored!.hash);
        expect(hashMatches({ ...stored!, data: { a: 1, b: { c: 2, d: 3 } } }, GENESIS_HASH, stored!.hash)).toBe(false);
      });

      it('refuses a stream edited in storage when it is read whole, naming the event; its intact start and other streams read as before', async (context) => {
        if (!subject.tamper) return context.skip('the test cannot reach this store\'s storage to edit an event');
        await store.append('agreement-t1', [event('A'), event('B', { round: 2 }), event('C')], { expectedRevision: 'no_stream' });
        await store.append('agreement-t2', [event('D')], { expectedRevision: 'no_stream' });
        const [, edited] = await collect(store.readStream('agreement-t1'));
        await subject.tamper('agreement-t1', 1, { round: 20 });
        const refused = { code: 'INTEGRITY_BROKEN', stream: 'agreement-t1', revision: 1, position: edited!.position, eventId: edited!.id };
        await expect(collect(store.readStream('agreement-t1'))).rejects.toMatchObject(refused);
        await expect(collect(store.readStream('agreement-t1', { to: 2 }))).rejects.toMatchObject(refused);
        expect((await collect(store.readStream('agreement-t1', { to: 0 }))).map((e) => e.type)).toEqual(['A']);
        expect(await collect(store.readStream('agreement-t2'))).toHaveLength(1);
      });
    });

    describe('the global log', () => {
      it('reads all streams in global order, from a position, by stream prefix and with a limit', async () => {
        await store.append('agreement-1', [event('A1')], { expectedRevision: 'any' });
        await store.append('partner-1', [event('P1')], { expectedRevision: 'any' });
        await store.append('agreement-2', [event('A2'), event('A3')], { expectedRevision: 'any' });
        await store.append('agreement-1', [event('A4')], { expectedRevision: 'any' });
        const types = async (options?: Parameters<EventStore['readAll']>[0]) => (await collect(store.readAll(options))).map((e) => e.type);
        expect(await types()).toEqual(['A1', 'P1', 'A2', 'A3', 'A4']);
        expect(await types({ fromPosition: await nth(3) })).toEqual(['A2', 'A3', 'A4']);
        expect(await types({ fromPosition: (await nth(2)) + 1 })).toEqual(['A2', 'A3', 'A4']);
        expect(await types({ streamPrefix: 'agreement-' })).toEqual(['A1', 'A2', 'A3', 'A4']);
        expect(await types({ streamPrefix: 'agreement-', fromPosition: await nth(2), limit: 2 })).toEqual(['A2', 'A3']);
        expect(await types({ limit: 0 })).toEqual([]);
      });

      it('streams 100,000 events without holding them all in memory', async () => {
        const payload = 'x'.repeat(900);
        for (let batch = 0; batch < 100; batch++) {
          const events = Array.from({ length: 1000 }, (_, i) => ({ type: 'Filler', data: { n: batch * 1000 + i, payload } }));
          await store.append(`agreement-bulk-${batch % 10}`, events, { expectedRevision: 'any' });
        }
        const gc = (globalThis as { gc?: () => void }).gc;
        expect(gc, 'tests run with --expose-gc (vitest.config.ts)').toBeTypeOf('function');
        gc!();
        const baseline = process.memoryUsage().heapUsed;
        let peak = 0;
        let count = 0;
        let previous = 0;
        for await (const e of store.readAll()) {
          expect(e.position).toBeGreaterThan(previous);
          previous = e.position;
          if (++count % 10_000 === 0) {
            gc!();
            peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
          }
        }
        expect(count).toBe(100_000);
        // All 100,000 events held at once would take over 100 MB of heap.
        expect(peak).toBeLessThan(40 * 1024 * 1024);
      }, 120_000);
    });

    describe('subscriptions', () => {
      it('delivers the past, then live appends made concurrently, in global order without gaps or duplicates', async () => {
        for (let i = 0; i < 30; i++) await store.append(`agreement-s${i % 3}`, [event(`Past${i}`)], { expectedRevision: 'any' });
        const subscription = store.subscribe({ fromPosition: 1 });
        const writers = Promise.all(
          Array.from({ length: 10 }, async (_, w) => {
            for (let i = 0; i < 30; i++) {
              await store.append(`agreement-live${w}`, [event(`Live${w}-${i}`), event(`Live${w}-${i}b`)], { expectedRevision: 'any' });
              if (i % 7 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
            }
          }),
        );
        const seen: StoredEvent[] = [];
        for await (const e of subscription) {
          seen.push(e);
          if (seen.length === 30 + 600) break;
        }
        await writers;
        await subscription.close();
        const log = await collect(store.readAll());
        expect(seen.map((e) => e.id)).toEqual(log.map((e) => e.id));
        if (dense()) expect(seen.map((e) => e.position)).toEqual(Array.from({ length: 630 }, (_, i) => i + 1));
        else expectIncreasing(seen.map((e) => e.position));
      });

      it('starts from a checkpoint and filters by stream prefix', async () => {
        await store.append('agreement-1', [event('A1'), event('A2')], { expectedRevision: 'any' });
        await store.append('other-1', [event('O1')], { expectedRevision: 'any' });
        const subscription = store.subscribe({ fromPosition: await nth(2), streamPrefix: 'agreement-' });
        const seen: string[] = [];
        const done = (async () => {
          for await (const e of subscription) {
            seen.push(e.type);
            if (seen.length === 2) break;
          }
        })();
        await store.append('other-1', [event('O2')], { expectedRevision: 'any' });
        await store.append('agreement-2', [event('A3')], { expectedRevision: 'any' });
        await done;
        expect(seen).toEqual(['A2', 'A3']);
      });

      it('ends the iteration when closed while waiting for new events', async () => {
        const subscription = store.subscribe({ fromPosition: 1 });
        const iteration = (async () => {
          const seen: string[] = [];
          for await (const e of subscription) seen.push(e.type);
          return seen;
        })();
        await store.append('agreement-1', [event('Only')], { expectedRevision: 'any' });
        await new Promise((resolve) => setTimeout(resolve, 20));
        await subscription.close();
        expect(await iteration).toEqual(['Only']);
      });

      pagesContract(() => store);
    });

    describe('health and lifecycle', () => {
      it('reports healthy with the head position while open, unhealthy and refusing work once closed', async () => {
        await store.append('agreement-h', [event()], { expectedRevision: 'any' });
        expect(await store.health()).toMatchObject({ ok: true, headPosition: await headWith(1) });
        await store.close();
        expect((await store.health()).ok).toBe(false);
        await expect(store.append('agreement-h', [event()], { expectedRevision: 'any' })).rejects.toBeInstanceOf(StoreClosedError);
      });

      it('finds everything again after closing and reopening, and goes on at the next position', async (context) => {
        if (!subject.reopen) return context.skip();
        await store.append('agreement-p', [event('A'), event('B')], { expectedRevision: 'no_stream' });
        const before = await collect(store.readAll());
        store = await subject.reopen();
        expect(await collect(store.readAll())).toEqual(before);
        const next = await store.append('agreement-p', [event('C')], { expectedRevision: 1 });
        expect(next).toMatchObject({ nextRevision: 2, position: await nth(3) });
      });
    });
  });
}
