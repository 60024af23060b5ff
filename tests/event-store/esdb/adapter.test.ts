import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyEvents } from '../../../src/application/verify.js';
import { loadConfig } from '../../../src/config.js';
import { InvalidAppendError, StoreUnavailableError, VersionConflictError } from '../../../src/event-store/errors.js';
import { connectEsdbEventStore, createEsdbEventStore, type EsdbEventStore } from '../../../src/event-store/esdb/client.js';
import { openEventStore } from '../../../src/event-store/open.js';
import type { StoredEvent } from '../../../src/event-store/port.js';
import { start, type RunningStandIn } from '../../support/esdb-stand-in/server.js';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

const event = (type: string) => ({ type, data: { n: 1 } });

// What only the EventStoreDB adapter has to get right, through the real client and the stand-in.
describe('EventStoreDB adapter', () => {
  let standIn: RunningStandIn;
  const stores: EsdbEventStore[] = [];
  const open = () => {
    const store = createEsdbEventStore(standIn.connectionString);
    stores.push(store);
    return store;
  };
  beforeEach(async () => {
    standIn = await start();
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await standIn.stop();
  });

  it('turns the server refusing a stale revision into a VersionConflictError with expected and actual, across two clients', async () => {
    const [one, two] = [open(), open()];
    await one.append('agreement-v', [event('A')], { expectedRevision: 'no_stream' });
    const attempts = await Promise.allSettled([one, two].map((store) => store.append('agreement-v', [event('B')], { expectedRevision: 0 })));
    const refused = attempts.filter((attempt) => attempt.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(VersionConflictError);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ stream: 'agreement-v', expected: 0, actual: 1 });
  });

  it('keeps one valid hash chain when two clients append to a stream at once with any', async () => {
    const [one, two] = [open(), open()];
    await Promise.all([one, two].flatMap((store, writer) => Array.from({ length: 10 }, (_, i) => store.append('agreement-any', [event(`W${writer}-${i}`)], { expectedRevision: 'any' }))));
    expect(await verifyEvents(one.readStream('agreement-any'))).toEqual({ ok: true, events: 20, streams: 1 });
  });

  it('reports a retry of the same ids from another client as a replay, even when the server deduplicated it', async () => {
    const [one, two] = [open(), open()];
    const batch = [{ id: randomUUID(), type: 'Signed', data: {} }];
    const results = await Promise.all([one, two].map((store) => store.append('agreement-dup', batch, { expectedRevision: 'no_stream' })));
    expect(results.map((result) => result.idempotentReplay).sort()).toEqual([false, true]);
    expect(await collect(one.readStream('agreement-dup'))).toHaveLength(1);
  });

  it('stores the hash in reserved metadata that readers never see, and refuses callers who use that key', async () => {
    const store = open();
    const metadata = { actor: 'alice', note: 'from the minutes' };
    const { events } = await store.append('agreement-meta', [{ type: 'A', data: {}, metadata }], { expectedRevision: 'no_stream' });
    const subscription = store.subscribe({ fromPosition: 1 });
    const [live] = await firstOf(subscription, 1);
    await subscription.close();
    for (const seen of [events[0], (await collect(store.readStream('agreement-meta')))[0], (await collect(store.readAll()))[0], live]) {
      expect(seen?.metadata).toEqual(metadata);
    }
    const raw = standIn.log.stream('agreement-meta')![0]!;
    expect(JSON.parse(Buffer.from(raw.metadata).toString('utf8')).$ledger.hash).toBe(events[0]!.hash);
    await expect(store.append('agreement-meta', [{ type: 'B', data: {}, metadata: { $ledger: 'mine' } }], { expectedRevision: 0 })).rejects.toBeInstanceOf(
      InvalidAppendError,
    );
  });

  it('subscribes after a checkpoint with a stream prefix: only later events of matching streams, then live ones', async () => {
    const store = open();
    await store.append('agreement-1', [event('A1'), event('A2')], { expectedRevision: 'no_stream' });
    await store.append('other-1', [event('O1')], { expectedRevision: 'no_stream' });
    const [, checkpoint] = await collect(store.readAll({ streamPrefix: 'agreement-' }));
    await store.append('agreement-2', [event('A3')], { expectedRevision: 'no_stream' });
    const subscription = store.subscribe({ fromPosition: checkpoint!.position + 1, streamPrefix: 'agreement-' });
    const received = firstOf(subscription, 2);
    await store.append('other-1', [event('O2')], { expectedRevision: 0 });
    await store.append('agreement-1', [event('A4')], { expectedRevision: 1 });
    expect((await received).map((e) => e.type)).toEqual(['A3', 'A4']);
    await subscription.close();
  });

  it('reads the log from a number that is no event position, which the server itself refuses as a start', async () => {
    const store = open();
    await store.append('agreement-n', [event('A'), event('B'), event('C')], { expectedRevision: 'no_stream' });
    const [, second] = await collect(store.readAll());
    const between = second!.position + 4;
    expect(standIn.log.indexAt(BigInt(between / 2))).toBeUndefined();
    expect((await collect(store.readAll({ fromPosition: between }))).map((e) => e.type)).toEqual(['C']);
  });

  it('retries a read while the server restarts, and health says what happened', async () => {
    const store = open();
    await store.append('agreement-r', [event('A')], { expectedRevision: 'no_stream' });
    const { port, log } = standIn;
    await standIn.stop();
    expect(await store.health()).toMatchObject({ ok: false, adapter: 'esdb', detail: expect.stringMatching(/^unreachable: /) });
    const read = collect(store.readStream('agreement-r'));
    await new Promise((resolve) => setTimeout(resolve, 150));
    standIn = await start({ port, log });
    expect((await read).map((e) => e.type)).toEqual(['A']);
    expect(await store.health()).toMatchObject({ ok: true, detail: expect.stringContaining('last connection failure') });
  });

  it('retries an append whose reply was lost without writing it twice, even without caller-chosen ids', async () => {
    const store = open();
    standIn.log.loseNextAppendReply = true;
    const result = await store.append('agreement-lost', [event('A'), event('B')], { expectedRevision: 'any' });
    expect(result).toMatchObject({ nextRevision: 1, idempotentReplay: false });
    expect((await collect(store.readStream('agreement-lost'))).map((e) => e.type)).toEqual(['A', 'B']);
    expect(await store.health()).toMatchObject({ ok: true, detail: expect.stringContaining('reply was lost') });
  });

  it('gives up with StoreUnavailableError after a few tries when the server stays away', async () => {
    const store = open();
    await standIn.stop();
    const started = Date.now();
    await expect(store.streamRevision('agreement-gone')).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('connects only when the server answers, failing fast with a clear message otherwise', async () => {
    const store = await connectEsdbEventStore(standIn.connectionString);
    stores.push(store);
    expect(await store.headPosition()).toBe(0);
    const { port } = standIn;
    await standIn.stop();
    standIn = await start();
    await expect(connectEsdbEventStore(`esdb://127.0.0.1:${port}?tls=false`, { timeoutMs: 2000 })).rejects.toThrow(/cannot reach EventStoreDB at esdb:\/\/127\.0\.0\.1/);
    await expect(connectEsdbEventStore('postgres://nowhere')).rejects.toThrow(/ESDB_CONNECTION_STRING is not a valid EventStoreDB connection string/);
  });
});

describe('choosing EventStoreDB', () => {
  it('opens the esdb adapter when configured, after proving the server answers', async () => {
    const standIn = await start();
    try {
      const store = await openEventStore(loadConfig({ EVENT_STORE: 'esdb', ESDB_CONNECTION_STRING: standIn.connectionString }));
      expect(await store.health()).toMatchObject({ ok: true, adapter: 'esdb', headPosition: 0 });
      await store.close();
    } finally {
      await standIn.stop();
    }
  });

  it('never loads the gRPC client in the embedded modes', () => {
    const script = `
      import { createRequire } from 'node:module';
      const { openEventStore } = await import('./src/event-store/open.ts');
      const store = await openEventStore({ EVENT_STORE: 'memory' });
      await store.close();
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes('@eventstore') || path.includes('@grpc'));
      console.log(JSON.stringify(loaded));`;
    const root = join(import.meta.dirname, '../../..');
    const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(output.trim().split('\n').pop()!)).toEqual([]);
  });

  it('keeps every import of @eventstore/db-client in esdb/client.ts, so changing client is a one-file change', () => {
    const dir = join(import.meta.dirname, '../../../src');
    const importers = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .filter((file) => /(from|import\()\s*['"]@eventstore\/db-client/.test(readFileSync(join(dir, file), 'utf8')));
    expect(importers).toEqual([join('event-store', 'esdb', 'client.ts')]);
  });
});

/** The first `count` events of a subscription, iterated in the background. */
async function firstOf(subscription: AsyncIterable<StoredEvent>, count: number): Promise<StoredEvent[]> {
  const seen: StoredEvent[] = [];
  for await (const e of subscription) {
    seen.push(e);
    if (seen.length === count) break;
  }
  return seen;
}
