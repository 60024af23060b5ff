import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { printTable, type Figure } from './harness.js';
import { runAuditLoadBench } from './audit-load.js';
import { runHttpBench } from './http.js';
import { runLiveBench } from './live.js';
import { runRebuildBench } from './rebuild.js';
import { runRehydrateBench } from './rehydrate.js';
import { runRssBench } from './rss.js';
import { runStoreBench } from './store.js';
import { runWritePathBench } from './write-path.js';

/**
 * `npm run bench [-- --quick]`: every benchmark, each figure a median of paired rounds against a
 * baseline measured in the same run. Writes bench/results.json and prints a table. Timings are
 * reported, never asserted: CI runs the quick mode as a smoke test only.
 */
const quick = process.argv.includes('--quick');
const sections: Array<{ title: string; figures: Figure[]; seconds: number }> = [];
async function section(title: string, run: () => Promise<Figure[]>): Promise<void> {
  const started = performance.now();
  const figures = await run();
  sections.push({ title, figures, seconds: Math.round((performance.now() - started) / 100) / 10 });
}

await section('Event store, FULL (default durability)', () => runStoreBench({ quick, synchronous: 'FULL' }));
if (!quick) await section('Event store, NORMAL', () => runStoreBench({ quick, synchronous: 'NORMAL' }));
await section('Write path, one writer at a time, FULL (CommandHandler in process; POST steps over one connection, each server in its own process)', () => runWritePathBench({ quick }));
await section('Rehydration of one agreement', () => runRehydrateBench({ quick }));
await section('Read model rebuild', () => runRebuildBench({ quick }));
await section('HTTP, embedded store at FULL (each server in its own process, autocannon on loopback)', () => runHttpBench({ quick }));
await section('Live feed: writes while viewers follow GET /events/live (two real servers on copies of the generated log, each in its own process)', () => runLiveBench({ quick }));
await section('Audit questions beside plain reads (the real server on the generated log)', () => runAuditLoadBench({ quick }));
await section('Server memory (the real server on a generated log, after catch-up and reads)', () => runRssBench({ quick }));

const machine = { cores: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
for (const { title, figures, seconds } of sections) printTable(`${title} [${seconds} s]`, figures);
console.log(`\nmachine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, Node ${machine.node}; ${quick ? 'quick' : 'full'} run`);
writeFileSync(
  join(import.meta.dirname, 'results.json'),
  `${JSON.stringify({ measuredAt: new Date().toISOString(), quick, machine, sections }, null, 2)}\n`,
);
