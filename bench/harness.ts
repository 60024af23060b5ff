import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Small helpers shared by the benchmarks: repeated paired runs, medians, a printed table. */

export interface Figure {
  name: string;
  unit: string;
  ours: number;
  baseline: number;
  baselineName: string;
  /** Median of the per-round ratios ours/baseline (each pair measured back to back). */
  ratio: number;
  target: string;
  /** Undefined for figures reported without a target. */
  met?: boolean;
  rounds: number;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Runs baseline then ours, `rounds` times; rates are per second. */
export async function paired(
  rounds: number,
  baseline: () => Promise<number> | number,
  ours: () => Promise<number> | number,
): Promise<{ ours: number; baseline: number; ratio: number }> {
  const pairs: Array<[number, number]> = [];
  for (let round = 0; round < rounds; round++) {
    const base = await baseline();
    const mine = await ours();
    pairs.push([mine, base]);
  }
  return {
    ours: median(pairs.map(([mine]) => mine)),
    baseline: median(pairs.map(([, base]) => base)),
    ratio: median(pairs.map(([mine, base]) => mine / base)),
  };
}

export async function rate(count: number, work: () => Promise<void> | void): Promise<number> {
  const started = performance.now();
  await work();
  return count / ((performance.now() - started) / 1000);
}

export function printTable(title: string, figures: Figure[]): void {
  const rows = figures.map((f) => [
    f.name,
    `${format(f.ours)} ${f.unit}`,
    `${format(f.baseline)} ${f.unit}`,
    f.baselineName,
    `${f.ratio.toFixed(2)}x`,
    f.target,
    f.met === undefined ? '-' : f.met ? 'met' : 'MISSED',
  ]);
  const header = ['figure', 'ours', 'baseline', 'baseline is', 'ratio', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

function format(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-GB') : value.toFixed(2);
}

/** True when the module was started directly (`tsx bench/x.ts`), not imported by bench/run.ts. */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && pathToFileURL(resolve(process.argv[1])).href === moduleUrl;
}
