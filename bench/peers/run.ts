/**
 * `npm run bench:peers [-- --quick]`: our embedded store against Emmett's SQLite event store
 * (@event-driven-io/emmett-sqlite 0.38.5), what a TypeScript team would otherwise pick. Emmett is
 * installed here, in bench/peers/node_modules, never with the product. Writes
 * bench/peers/results.json and prints the figures, then what concurrent writers did to each store.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { printTable } from '../harness.js';
import type { ConcurrentOutcome } from './concurrent.js';
import { EMMETT_VERSION, ensureInstalled, loadEmmett } from './emmett.js';
import { runPeersBench } from './measure.js';

const quick = process.argv.includes('--quick');
ensureInstalled();
const lib = await loadEmmett();
const dir = mkdtempSync(join(tmpdir(), 'ledger-bench-peers-'));
console.log(`Ours vs Emmett ${EMMETT_VERSION}, ${quick ? 'quick' : 'full'} run, files in ${dir}`);
try {
  // Emmett prints every error it meets with console.log; they are counted instead (see below).
  const log = console.log;
  console.log = () => undefined;
  const result = await runPeersBench(lib, dir, { quick }).finally(() => (console.log = log));
  printTable(`Peers: ours / Emmett's SQLite event store (median of paired rounds; ours ${result.durability.ours}, Emmett ${result.durability.emmett})`, result.figures);
  const { appends, ours: ourErrors, emmett: emmettErrors } = result.sequentialErrors;
  console.log(`\nOne append at a time, ${appends.toLocaleString('en-GB')} appends a side (failures counted, checked and retried; the retries are in the rates):`);
  console.log(`  ours:   ${errorList(ourErrors)}`);
  console.log(`  Emmett: ${errorList(emmettErrors)}`);
  console.log('\nConcurrent writers (each on its own stream, exact expected version; a call is given up after 10 s):');
  for (const { variant, ours, emmett } of result.concurrency) {
    console.log(`  ${variant}`);
    console.log(`    ours:   ${describe(ours)}`);
    console.log(`    Emmett: ${describe(emmett)}`);
  }
  const machine = { cores: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
  console.log(`\nmachine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, Node ${machine.node}; ${quick ? 'quick' : 'full'} run`);
  writeFileSync(
    join(import.meta.dirname, 'results.json'),
    `${JSON.stringify({ measuredAt: new Date().toISOString(), quick, machine, peer: `@event-driven-io/emmett-sqlite ${EMMETT_VERSION}`, ...result }, null, 2)}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
// Emmett's calls that never answered keep node-sqlite3 handles open: end here rather than wait on them.
process.exit(0);

function describe(o: ConcurrentOutcome): string {
  const errors = errorList(o.errors);
  return (
    `${o.acknowledged}/${o.attempted} acknowledged, ${o.lost} of them LOST, ${o.timeouts} never answered, ` +
    `${o.failedButWritten} reported failed but written; ${Math.round(o.durablePerSecond).toLocaleString('en-GB')} durable appends/s` +
    `; errors: ${errors}`
  );
}

function errorList(errors: Record<string, number>): string {
  const entries = Object.entries(errors);
  return entries.length === 0 ? 'none' : entries.map(([kind, count]) => `${count} ${kind}`).join(', ');
}
