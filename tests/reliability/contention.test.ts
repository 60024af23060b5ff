import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, stopServer, type RunningServer } from '../e2e/server-process.js';

/**
 * Issue 8, test 2: 50 clients over real HTTP against the real server process, for a few seconds,
 * on 5 agreements. Afterwards the log must hold exactly the acknowledged steps, once each.
 */
const OFFICER = 'contention-officer-secret-0000';
const AUDITOR = 'contention-auditor-secret-0000';
const CLIENTS = 50;
const DURATION_MS = 3000;
const AGREEMENTS = ['eu-alpha-readmission', 'eu-beta-readmission', 'eu-gamma-readmission', 'eu-delta-readmission', 'eu-epsilon-readmission'];
/** Steps that stay legal however often they are recorded while negotiating (no round number: no ordering rule between clients). */
const REPEATABLE = ['meeting_held', 'round_held', 'draft_exchanged', 'referred_to_political_level'] as const;

type Kind = 'plain' | 'conditional' | 'illegal' | 'twin';
interface Outcome {
  kind: Kind;
  agreement: string;
  note: string;
  status?: number;
  code?: string;
  eventId?: string;
  revision?: number;
  replayed?: boolean;
  /** The revision a conditional write was made on (If-Match). */
  ifMatch?: number;
  /** On a 412: the revision the agreement is at. */
  currentRevision?: number;
  /** A network error or a timeout: no definite answer. */
  error?: string;
}

const dataDir = mkdtempSync(join(tmpdir(), 'ledger-contention-'));
let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ DATA_DIR: dataDir, DEMO_DATA: 'false', API_TOKENS: `alice:officer:${OFFICER},bob:auditor:${AUDITOR}` });
});
afterAll(async () => {
  if (server) await stopServer(server.child);
  rmSync(dataDir, { recursive: true, force: true });
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const writeHeaders = { ...auth(OFFICER), 'content-type': 'application/json' };

async function getJson(path: string, token = AUDITOR): Promise<any> {
  const response = await fetch(`${server.url}${path}`, { headers: auth(token), signal: AbortSignal.timeout(20_000) });
  expect(response.status, path).toBe(200);
  return response.json();
}

/** One POST whose answer, whatever it is, lands in an Outcome; a hang or a reset is recorded as such. */
async function recordStep(kind: Kind, agreement: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Outcome> {
  const note = String(body.note);
  try {
    const response = await fetch(`${server.url}/agreements/${agreement}/steps`, {
      method: 'POST',
      headers: { ...writeHeaders, ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    const json = (await response.json()) as { code?: string; currentRevision?: number; event?: { eventId: string; revision: number } };
    return {
      kind, agreement, note, status: response.status, code: json.code, eventId: json.event?.eventId, revision: json.event?.revision,
      replayed: response.headers.get('idempotent-replayed') === 'true', currentRevision: json.currentRevision,
    };
  } catch (error) {
    return { kind, agreement, note, error: String(error) };
  }
}

async function client(n: number, deadline: number, outcomes: Outcome[]): Promise<void> {
  for (let i = 0; Date.now() < deadline; i++) {
    const agreement = AGREEMENTS[(n + i) % AGREEMENTS.length]!;
    const note = `client ${n} request ${i}`;
    const step = REPEATABLE[(n * 7 + i) % REPEATABLE.length]!;
    const legal = { step, occurredOn: '2021-03', note, ...(step === 'meeting_held' ? { body: 'Joint Readmission Committee' } : {}) };
    const slot = (n + i * 3) % 10;
    if (slot < 4) outcomes.push(await recordStep('plain', agreement, legal));
    else if (slot < 7) {
      // Read, then write on what was read: another client often got there first (412).
      const read = await fetch(`${server.url}/agreements/${agreement}`, { headers: auth(OFFICER), signal: AbortSignal.timeout(20_000) }).catch(() => undefined);
      const etag = read?.headers.get('etag');
      await read?.arrayBuffer().catch(() => undefined);
      if (!etag) outcomes.push({ kind: 'conditional', agreement, note, error: `GET answered ${read?.status}` });
      else {
        // As a careful client does: on 412, retry at once on the revision the answer names, twice at most.
        let revision = etag.replaceAll('"', '');
        for (let attempt = 0; attempt < 3; attempt++) {
          const outcome = await recordStep('conditional', agreement, legal, { 'if-match': `"${revision}"` });
          outcomes.push({ ...outcome, ifMatch: Number(revision) });
          if (outcome.status !== 412 || outcome.currentRevision === undefined) break;
          revision = String(outcome.currentRevision);
        }
      }
    } else if (slot < 9) {
      // A binding agreement can never be "adopted" (that is for non-binding instruments): always 409.
      outcomes.push(await recordStep('illegal', agreement, { step: 'adopted', occurredOn: '2021-03', note }));
    } else {
      // A retry racing its original: the same Idempotency-Key and body, sent twice at once.
      const key = { 'idempotency-key': `c${n}-r${i}` };
      outcomes.push(...(await Promise.all([recordStep('twin', agreement, legal, key), recordStep('twin', agreement, legal, key)])));
    }
  }
}

async function wholeLog(): Promise<Array<{ eventId: string; stream: string; position: number }>> {
  const events = [];
  for (let after = 0; ;) {
    const page = await getJson(`/events?after=${after}&limit=1000`);
    events.push(...page.events);
    if (page.nextAfter === null) return events;
    after = page.nextAfter;
  }
}

describe('50 concurrent clients recording steps on 5 agreements', () => {
  it('lose nothing, duplicate nothing, keep revisions gap-free, and every request gets 201, 409 or 412', async () => {
    for (const id of AGREEMENTS) {
      const created = await fetch(`${server.url}/agreements`, {
        method: 'POST', headers: writeHeaders,
        body: JSON.stringify({ id, title: `${id} title`, kind: 'readmission_agreement', parties: ['EU', id.split('-')[1]] }),
      });
      expect(created.status).toBe(201);
      expect((await recordStep('plain', id, { step: 'negotiations_opened', occurredOn: '2020', note: 'setup' })).status).toBe(201);
    }

    const outcomes: Outcome[] = [];
    const deadline = Date.now() + DURATION_MS;
    await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n, deadline, outcomes)));

    const tally: Record<string, number> = {};
    for (const o of outcomes) tally[`${o.kind} ${o.status ?? 'error'}`] = (tally[`${o.kind} ${o.status ?? 'error'}`] ?? 0) + 1;
    console.info('contention outcomes', tally);
    // Every request got a definite answer, and the one its kind calls for.
    const expected: Record<Kind, (o: Outcome) => boolean> = {
      plain: (o) => o.status === 201 || (o.status === 409 && o.code === 'CONCURRENT_WRITES'),
      twin: (o) => o.status === 201,
      conditional: (o) => o.status === 201 || (o.status === 412 && o.code === 'REVISION_MISMATCH'),
      illegal: (o) => o.status === 409 && o.code === 'ILLEGAL_STEP',
    };
    const wrong = outcomes.filter((o) => o.error !== undefined || !expected[o.kind](o));
    expect(wrong.slice(0, 5), `${wrong.length} of ${outcomes.length} requests`).toEqual([]);
    // The run did contend: some conditional writes lost the race, some won it.
    const conditional = outcomes.filter((o) => o.kind === 'conditional');
    expect(conditional.some((o) => o.status === 412)).toBe(true);
    expect(conditional.some((o) => o.status === 201)).toBe(true);
    // A conditional write that went through landed right after the revision it was made on.
    for (const o of conditional.filter((c) => c.status === 201)) expect(o.revision).toBe(o.ifMatch! + 1);

    // A retry racing its original is answered with the original's event, recorded once.
    const twins = outcomes.filter((o) => o.kind === 'twin');
    for (let i = 0; i < twins.length; i += 2) {
      expect(twins[i]!.eventId).toBe(twins[i + 1]!.eventId);
      expect([twins[i]!.replayed, twins[i + 1]!.replayed].sort()).toEqual([false, true]);
    }

    const acknowledged = outcomes.filter((o) => o.status === 201 && !o.replayed);
    const byId = new Map(acknowledged.map((o) => [o.eventId!, o]));
    expect(byId.size, 'two acknowledgements named the same event').toBe(acknowledged.length);

    let total = 0;
    for (const id of AGREEMENTS) {
      const history = await getJson(`/agreements/${id}/history`);
      const events = history.events as Array<{ eventId: string; revision: number; position: number; data: { note?: string } }>;
      total += events.length;
      expect(events.map((e) => e.revision), `${id}: revisions 0..n`).toEqual(events.map((_, index) => index));
      const steps = events.slice(2); // registration and opening, recorded before the run
      const mine = acknowledged.filter((o) => o.agreement === id);
      expect(steps.map((e) => e.eventId).sort(), `${id}: exactly the acknowledged steps`).toEqual(mine.map((o) => o.eventId!).sort());
      for (const event of steps) {
        const ack = byId.get(event.eventId)!;
        expect({ revision: event.revision, note: event.data.note }).toEqual({ revision: ack.revision, note: ack.note });
      }
      // The read side agrees: the agreement and the register reach the same revision and position.
      const last = events[events.length - 1]!;
      expect((await getJson(`/agreements/${id}`, OFFICER)).revision).toBe(last.revision);
      const register = await getJson(`/agreements?minPosition=${last.position}&q=${id}&limit=200`, OFFICER);
      expect(register.items.find((item: { id: string }) => item.id === id)).toMatchObject({ lastPosition: last.position, status: 'negotiating' });
      expect(await getJson(`/agreements/${id}/integrity`)).toMatchObject({ ok: true, checked: events.length });
    }

    // Nothing was written anywhere else in the log, and no event id appears twice in it.
    const log = await wholeLog();
    expect(log.length).toBe(total);
    expect(new Set(log.map((e) => e.eventId)).size).toBe(total);
    // No request failed inside the server (a masked 500 would be logged at error level).
    expect(server.logs.filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
    // And the real server, thousands of requests later, never wrote a token to its log.
    for (const token of [OFFICER, AUDITOR]) expect(server.logs.join('\n')).not.toContain(token);
  }, 90_000);
});
