import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { printTable, type Figure } from './harness.js';
import { runHttpBench } from './http.js';
import { runRebuildBench } from './rebuild.js';
import { runRehydrateBench } from './rehydrate.js';
import { runRssBench } from './rss.js';
import { runStoreBench } from './store.js';

/**
 * `npm run bench [-- --quick]`: every benchmark, each figure a median of paired rounds against a
 * baseline measured in the same run. Writes bench/results.json and prints a table. Timings are
 * reported, never asserted: CI runs the quick mode as a smoke test only.
 */
const quick = process.argv.includes('--quick');
const sections: Array<{ title: string; figures: Figure[] }> = [];

sections.push({ title: 'Event store, FULL (default durability)', figures: await runStoreBench({ quick, synchronous: 'FULL' }) });
if (!quick) sections.push({ title: 'Event store, NORMAL', figures: await runStoreBench({ quick, synchronous: 'NORMAL' }) });
sections.push({ title: 'Rehydration of one agreement', figures: await runRehydrateBench({ quick }) });
sections.push({ title: 'Read model rebuild', figures: await runRebuildBench({ quick }) });
sections.push({ title: 'HTTP, embedded store at FULL (each server in its own process, autocannon on loopback)', figures: await runHttpBench({ quick }) });
sections.push({ title: 'Server memory (the real server on a generated log, after catch-up and reads)', figures: await runRssBench({ quick }) });

const machine = { cores: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
for (const section of sections) printTable(section.title, section.figures);
console.log(`\nmachine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, Node ${machine.node}; ${quick ? 'quick' : 'full'} run`);
writeFileSync(
  join(import.meta.dirname, 'results.json'),
  `${JSON.stringify({ measuredAt: new Date().toISOString(), quick, machine, sections }, null, 2)}\n`,
);
