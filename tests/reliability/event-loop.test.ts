import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillLog } from '../../bench/rebuild.js';
import { startApp, TOKENS } from '../http/fixture.js';

type App = Awaited<ReturnType<typeof startApp>>;

const AGREEMENTS = 2000;
const EVENTS_EACH = 100;
/** Dashboards poll side by side: this many plain GETs are in flight at once. */
const CLIENTS = 8;
const ROUNDS = 3;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const p99 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.99)]!;

/**
 * Plain GETs over HTTP from CLIENTS clients, one after another each, until `until` settles (and at
 * least `atLeast` in all); their latencies in ms. Real sockets: requests injected in process never
 * leave the microtask queue, so they would starve anything that yields to the event loop.
 */
async function plainGets(base: string, until: Promise<unknown>, atLeast: number): Promise<number[]> {
  let done = false;
  void until.finally(() => (done = true)).catch(() => {});
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      for (let i = 0; !done || latencies.length < atLeast; i++) {
        const started = performance.now();
        const answer = await fetch(`${base}/agreements/eu-bench-${(client * 97 + i) % AGREEMENTS}`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } });
        await answer.arrayBuffer();
        latencies.push(performance.now() - started);
        expect(answer.status).toBe(200);
      }
    }),
  );
  return latencies;
}

describe(`expensive questions on ${AGREEMENTS * EVENTS_EACH} events`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-event-loop-'));
  let t: App;
  let base: string;
  beforeAll(async () => {
    fillLog(join(dir, 'ledger.sqlite'), AGREEMENTS, EVENTS_EACH);
    t = await startApp({ dir });
    base = await t.app.listen({ host: '127.0.0.1', port: 0 });
    expect(await t.register.waitFor(AGREEMENTS * EVENTS_EACH, 60_000)).toBe(true);
    await plainGets(base, Promise.resolve(), 400); // warm up
  }, 120_000);
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Runs `heavy` beside plain GETs, in paired rounds (the GETs alone, then beside it) so that a
   * neighbour's load on a shared machine moves both: the median over rounds of the event loop's
   * p99 delay and of the GETs' p99 ratio.
   */
  async function beside(heavy: () => Promise<{ statusCode: number }>) {
    const loop: number[] = [];
    const ratios: number[] = [];
    const shown: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const quiet = p99(await plainGets(base, Promise.resolve(), 400));
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      const answer = heavy();
      const during = p99(await plainGets(base, answer, 400));
      delay.disable();
      expect((await answer).statusCode).toBe(200);
      loop.push(delay.percentile(99) / 1e6);
      ratios.push(during / quiet);
      shown.push(`${during.toFixed(1)} ms beside, ${quiet.toFixed(1)} ms alone`);
    }
    return { loopP99Ms: median(loop), ratio: median(ratios), shown: shown.join('; ') };
  }

  const cases: Array<[string, () => Promise<string>, 'viewer' | 'auditor']> = [
    ['a calendar page 100,000 steps into a year', async () => {
      // Where the page starts, found by walking there first.
      let cursor = '';
      for (let page = 0; page < 100; page++) {
        cursor = (await t.as('viewer', { method: 'GET', url: `/dashboard/calendar?from=2019&to=2019&limit=1000${cursor && `&cursor=${encodeURIComponent(cursor)}`}` })).json().nextCursor;
      }
      return `/dashboard/calendar?from=2019&to=2019&cursor=${encodeURIComponent(cursor)}`;
    }, 'viewer'],
    ['the register as recorded at a moment', async () => `/agreements?recordedAsOf=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, 'auditor'],
    ['the register as it stood in the world by a date', async () => '/agreements?occurredBy=2019', 'auditor'],
    ['the pipeline as recorded at a moment', async () => `/dashboard/pipeline?recordedAsOf=${encodeURIComponent(new Date(Date.now() + 120_000).toISOString())}`, 'auditor'],
  ];
  it.each(cases)('%s keeps the event loop and plain reads moving', async (_name, urlOf, role) => {
    const url = await urlOf();
    const heavy = () => t.as(role, { method: 'GET', url });
    const { loopP99Ms, ratio, shown } = await beside(heavy);
    expect(loopP99Ms).toBeLessThan(50);
    expect(ratio, `plain GET p99: ${shown}`).toBeLessThanOrEqual(3);
  }, 240_000);

  it('answers a question past the ones it takes at once with 503 SERVER_BUSY and Retry-After', async () => {
    const moments = [1, 2, 3].map((minutes) => new Date(Date.now() + minutes * 60_000).toISOString());
    const answers = await Promise.all(moments.map((moment) => fetch(`${base}/agreements?recordedAsOf=${encodeURIComponent(moment)}`, { headers: { authorization: `Bearer ${TOKENS.auditor}` } })));
    const busy = answers.filter((answer) => answer.status === 503);
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(2);
    expect(busy).toHaveLength(1);
    expect(busy[0]!.headers.get('retry-after')).toBe('5');
    expect(busy[0]!.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await busy[0]!.json()).toMatchObject({ code: 'SERVER_BUSY', status: 503 });
  }, 60_000);
});
