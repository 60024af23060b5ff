import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMain, median, printTable, type Figure } from './harness.js';
import { loadWithLatencies, quantile } from './load.js';
import { caughtUp, startRealServer, stopServer } from './real-server.js';
import { fillLog } from './rebuild.js';

/**
 * Plain reads while an auditor asks for the register as recorded at a moment, page after page:
 * the real server on the generated log, GET /agreements/{id} under autocannon (50 connections)
 * with the auditor's loop running against the same GETs alone, in paired rounds. Every question
 * names a moment of its own and not yet settled, so each is a whole replay of the log: the worst
 * an auditor can ask of the server.
 */
const VIEWER = 'bench-viewer-secret-000000000';
const AUDITOR = 'bench-auditor-secret-00000000';
const TARGET = 2;

/** The auditor: one question after another until stopped; how many were answered, and how. */
function auditorLoop(url: string): { stop: () => Promise<{ answered: number; busy: number; seconds: number[] }> } {
  let running = true;
  const seconds: number[] = [];
  let busy = 0;
  const loop = (async () => {
    for (let question = 0; running; question++) {
      const moment = new Date(Date.now() + 60_000 + question).toISOString();
      const started = performance.now();
      const answer = await fetch(`${url}/agreements?recordedAsOf=${encodeURIComponent(moment)}&limit=50`, { headers: { authorization: `Bearer ${AUDITOR}` } });
      await answer.arrayBuffer();
      if (answer.status === 503) busy++;
      else if (answer.status !== 200) throw new Error(`the auditor's question answered ${answer.status}`);
      else seconds.push((performance.now() - started) / 1000);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { answered: seconds.length, busy, seconds };
    },
  };
}

export async function runAuditLoadBench(options: { quick: boolean }): Promise<Figure[]> {
  const agreements = options.quick ? 500 : 10_000;
  const rounds = options.quick ? 1 : 3;
  const seconds = options.quick ? 3 : 8;
  const dir = mkdtempSync(join(tmpdir(), 'ledger-bench-audit-'));
  let server: { child: ChildProcess; url: string } | undefined;
  try {
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    const total = fillLog(join(dataDir, 'ledger.sqlite'), agreements, 100);
    server = await startRealServer(dataDir, `viewer:viewer:${VIEWER},auditor:auditor:${AUDITOR}`);
    await caughtUp(server.url, VIEWER, 30 * 60_000);
    const { url } = server;
    const gets = () => loadWithLatencies(url, { method: 'GET', seconds, headers: { authorization: `Bearer ${VIEWER}` }, path: (i) => `/agreements/eu-bench-${(i * 7919) % agreements}` });
    await loadWithLatencies(url, { method: 'GET', seconds: 1, headers: { authorization: `Bearer ${VIEWER}` }, path: (i) => `/agreements/eu-bench-${i % agreements}` });
    const questionAlone = auditorLoop(url);
    const replayAlone = median((await questionAlone.stop()).seconds);
    const alone: number[] = [];
    const beside: number[] = [];
    const answeredEach: number[] = [];
    let busy = 0;
    for (let round = 0; round < rounds; round++) {
      const quiet = quantile((await gets()).latencies, 0.99);
      const auditor = auditorLoop(url);
      const loaded = quantile((await gets()).latencies, 0.99);
      const audit = await auditor.stop();
      alone.push(quiet);
      beside.push(loaded);
      answeredEach.push(...audit.seconds);
      busy += audit.busy;
      process.stderr.write(`  audit round ${round + 1}: GET p99 ${quiet.toFixed(2)} ms alone, ${loaded.toFixed(2)} ms beside the auditor (${audit.answered} questions answered, ${audit.busy} busy)\n`);
    }
    const ratios = alone.map((quiet, i) => beside[i]! / quiet);
    const ratio = median(ratios);
    const size = `${total.toLocaleString('en-GB')} events`;
    return [
      {
        name: `GET p99 while an auditor asks recordedAsOf in a loop, ${size}`, unit: 'ms', ours: median(beside), baseline: median(alone),
        baselineName: 'GET p99 alone, same server', ratio, target: `<= ${TARGET}x`, met: ratio <= TARGET, rounds,
      },
      {
        name: `one recordedAsOf question (a whole replay) under that load (${answeredEach.length} answered, ${busy} busy), ${size}`, unit: 's',
        ours: median(answeredEach), baseline: replayAlone, baselineName: 'the same question alone', ratio: median(answeredEach) / replayAlone, target: 'reported', rounds,
      },
    ];
  } finally {
    if (server) await stopServer(server.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  printTable('Audit questions beside plain reads', await runAuditLoadBench({ quick: process.argv.includes('--quick') }));
}
