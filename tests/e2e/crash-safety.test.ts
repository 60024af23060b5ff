import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { registerEntry, registerModel, type RegisterDocument } from '../../projections/register/projection.js';
import { queryRegister } from '../../projections/register/queries.js';
import { ItemsInMemory } from '../../projections/read-model.js';
import type { StoredStep } from '../../domain/agreement/index.js';
import { toRecorded } from '../../src/application/handle-command.js';
import { Projector } from '../../src/application/projector.js';
import { verifyEvents } from '../../src/application/verify.js';
import { registerRow } from '../../src/http/views.js';
import type { StoredEvent } from '../../src/event-store/port.js';
import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';
import { SqliteDocumentStore } from '../../src/document-store/sqlite-store.js';
import { commandIdOf, OFFICER, Writer } from './crash-writer.js';

const root = join(import.meta.dirname, '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'ledger-crash-safety-'));
const scratch = mkdtempSync(join(tmpdir(), 'ledger-crash-rebuilds-'));
let running: ChildProcess | undefined;
afterAll(() => {
  // A failed assertion leaves the last server running: it must not outlive the test.
  running?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

const WRITERS = 8;
const KILLS = 6;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

/**
 * The real server (src/server.ts, as `npm start` runs it) on its own data directory. Logging at
 * warn: request lines from thousands of writes would only load the two cores.
 */
async function startServer(attempts = 3): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/server.ts')], {
    cwd: root,
    env: {
      ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATA_DIR: dataDir, EVENT_STORE: 'sqlite', DEMO_DATA: 'false',
      API_TOKENS: `desk:officer:${OFFICER}`,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  running = child;
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
    if (child.exitCode !== null) {
      // Another process may have taken the free port in the meantime.
      if (errors.includes('EADDRINUSE') && attempts > 1) return startServer(attempts - 1);
      throw new Error(`the server exited at start: ${errors}`);
    }
    const healthy = await fetch(`${url}/health`).then((response) => response.ok, () => false);
    if (healthy) return { url, child };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`the server did not start: ${errors}`);
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function readLog(file: string): Promise<StoredEvent[]> {
  const store = new SqliteEventStore(file);
  const events: StoredEvent[] = [];
  for await (const event of store.readAll()) events.push(event);
  await store.close();
  return events;
}

/** The register's documents and steps as stored, folded from the log up to `position` and nothing after. */
function foldUpTo(events: StoredEvent[], position: number): { documents: Map<string, string>; steps: string[] } {
  const documents = new Map<string, RegisterDocument>();
  const steps = new Map<string, ItemsInMemory<StoredStep>>();
  for (const stored of events) {
    if (stored.position > position) break;
    const event = { stream: stored.stream, position: stored.position, recordedAt: stored.recordedAt, event: toRecorded(stored) };
    const key = registerModel.keyOf(event);
    if (key === undefined) continue;
    if (!steps.has(key)) steps.set(key, new ItemsInMemory());
    const next = registerModel.fold(documents.get(key), event, steps.get(key)!);
    if (next === undefined) documents.delete(key);
    else documents.set(key, next);
  }
  return {
    documents: new Map([...documents].map(([key, document]) => [key, JSON.stringify(registerModel.toJSON(document))])),
    steps: [...steps].sort(([a], [b]) => (a < b ? -1 : 1)).flatMap(([key, items]) => items.list().map(({ seq, prev, value }) => `${key} ${seq} ${prev} ${JSON.stringify(value)}`)),
  };
}

function storedDocuments(documents: SqliteDocumentStore): { documents: Map<string, string>; steps: string[] } {
  return {
    documents: new Map([...documents.loadAll('register')].map(([key, json]) => [key, JSON.stringify(json)])),
    steps: [...documents.allItems('register')].map(({ key, seq, prev, json }) => `${key} ${seq} ${prev} ${json}`),
  };
}

/** The register rows GET /agreements shows, computed from documents read back from a fresh rebuild. */
async function rebuiltRegisterRows(file: string, head: number, cycle: number): Promise<unknown> {
  const store = new SqliteEventStore(file);
  const documents = new SqliteDocumentStore(join(scratch, `rebuild-${cycle}.sqlite`));
  const projector = new Projector(store, documents, registerModel, pino({ level: 'silent' }));
  projector.start();
  expect(await projector.waitFor(head, 30_000)).toBe(true);
  await projector.stop();
  const entries = [...documents.loadAll('register')].map(([, json]) => registerEntry(registerModel.fromJSON(json)));
  documents.close();
  await store.close();
  // The server's own clock decides what is overdue; the rows are built as its route builds them.
  const today = new Date().toISOString().slice(0, 10);
  return JSON.parse(JSON.stringify(queryRegister(entries, { limit: 200 }).items.map((entry) => registerRow(entry, today))));
}

async function registerServedBy(url: string, head: number): Promise<{ items: unknown[]; position: number }> {
  // minPosition waits up to 2 s for the read model; a restarted server may need longer to catch up.
  for (const deadline = Date.now() + 30_000; ;) {
    const response = await fetch(`${url}/agreements?limit=200&minPosition=${head}`, { headers: { authorization: `Bearer ${OFFICER}` } });
    if (response.status === 200) return (await response.json()) as { items: unknown[]; position: number };
    expect(response.status, 'only a lagging read model may delay the answer').toBe(503);
    if (Date.now() > deadline) throw new Error('the register never caught up');
  }
}

describe('the server killed with SIGKILL under sustained writes', () => {
  it('keeps every acknowledged step exactly once, nothing half-written, a log that verifies, and read models equal to a rebuild', async () => {
    const writers = Array.from({ length: WRITERS }, (_, index) => new Writer(`w${index}`));
    const file = join(dataDir, 'ledger.sqlite');
    let server = await startServer();
    for (let cycle = 1; cycle <= KILLS; cycle++) {
      const running = writers.map((writer) => writer.run(server.url));
      // A random moment: somewhere in the middle of appends, group commits, projection flushes.
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 1200));
      await kill(server.child);
      await Promise.all(running);
      for (const writer of writers) expect(writer.failures).toEqual([]);

      const log = await readLog(file);
      const head = log.length;
      // Whole and in order: every hash recomputes, positions and revisions have no gaps.
      const verified = await verifyEvents((async function* () {
        yield* log;
      })(), { contiguousPositions: true });
      expect(verified, `cycle ${cycle}`).toMatchObject({ ok: true, events: head });

      // Each event comes from one request a writer sent, once, with the facts it sent; a request
      // cut off may have left its event or not, but never a part of it or a copy.
      const byCommand = new Map<string, StoredEvent>();
      const sent = new Map(writers.flatMap((writer) => [...writer.sent.values()]).map((command) => [commandIdOf(command.key), command]));
      for (const event of log) {
        const commandId = String(event.metadata.commandId);
        expect(byCommand.has(commandId), `${commandId} is stored once`).toBe(false);
        byCommand.set(commandId, event);
        const command = sent.get(commandId);
        expect(command, `event ${event.position} comes from a request a writer sent`).toBeDefined();
        expect(event.stream).toBe(`agreement-${command!.agreement}`);
        expect(event.type).toBe(command!.path === '/agreements' ? 'AgreementRegistered' : 'NegotiationRoundHeld');
        const { step: _step, id: _id, ...facts } = command!.body as Record<string, unknown>;
        expect(event.data).toMatchObject(facts);
      }
      // Every acknowledged write is there, where its answer said.
      for (const writer of writers) {
        for (const ack of writer.acknowledged) {
          const event = byCommand.get(commandIdOf(ack.key));
          expect(event, `acknowledged ${ack.key} is in the log`).toBeDefined();
          expect({ id: ack.eventId ?? event!.id, revision: ack.eventRevision, position: ack.position }).toEqual({ id: event!.id, revision: event!.revision, position: event!.position });
          // Only a repeated request is answered as a replay, and only if its first attempt had been stored.
          if (writer.cutOff.has(ack.key)) expect(ack.replayed, `retry of ${ack.key}`).toBe(writer.cutOff.get(ack.key));
          else expect(ack.replayed, `${ack.key} was written by its first request`).toBe(false);
          if (!ack.replayed) expect(ack.revision).toBe(ack.eventRevision);
        }
        if (writer.unanswered) writer.cutOff.set(writer.unanswered.key, byCommand.has(commandIdOf(writer.unanswered.key)));
      }

      // The read model the server stored is exactly the fold of the log up to its stored checkpoint.
      const serverDocuments = new SqliteDocumentStore(join(dataDir, 'read-models.sqlite'));
      const checkpoint = serverDocuments.checkpoint('register')?.position ?? 0;
      expect(checkpoint).toBeLessThanOrEqual(head);
      expect(storedDocuments(serverDocuments)).toEqual(foldUpTo(log, checkpoint));
      serverDocuments.close();
      const rebuilt = await rebuiltRegisterRows(file, head, cycle);

      // After the restart, the register the server serves equals a rebuild from zero.
      server = await startServer();
      const served = await registerServedBy(server.url, head);
      expect(served.position).toBe(head);
      expect(served.items).toEqual(rebuilt);
    }
    await kill(server.child);
    // Enough happened for the checks to mean something: many acknowledged writes, and every kill
    // cut requests off, some after their commit and some before.
    expect(writers.reduce((sum, writer) => sum + writer.acknowledged.length, 0)).toBeGreaterThan(100);
    expect(writers.reduce((sum, writer) => sum + writer.cutOff.size, 0)).toBeGreaterThanOrEqual(KILLS);
  }, 90_000);
});
