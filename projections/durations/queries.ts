import { partialDate } from '../../domain/shared/partial-date.js';
import type { StepName } from '../../domain/agreement/index.js';
import type { RegisterEntry } from '../register/projection.js';

export const INTERVALS: Array<{ name: string; from: StepName; to: StepName }> = [
  { name: 'mandate_to_opening', from: 'mandate_adopted', to: 'negotiations_opened' },
  { name: 'opening_to_conclusion', from: 'negotiations_opened', to: 'negotiations_concluded' },
  { name: 'conclusion_to_signature', from: 'negotiations_concluded', to: 'signed' },
  { name: 'signature_to_entry_into_force', from: 'signed', to: 'entered_into_force' },
];

export interface DurationStats {
  kind: string;
  interval: string;
  /** In days. Month-precise dates count from the first of the month. */
  count: number;
  median: number | null;
  min: number | null;
  max: number | null;
  leftOut: { missing: number; imprecise: number };
}

/**
 * For each kind, how long each stretch of the lifecycle took, counted only where both ends are
 * firm and known to the day or month; the rest is counted as left out, with the reason.
 */
export function durations(entries: Iterable<RegisterEntry>): DurationStats[] {
  const samples = new Map<string, { days: number[]; missing: number; imprecise: number }>();
  for (const entry of entries) {
    for (const interval of INTERVALS) {
      const key = `${entry.kind}|${interval.name}`;
      const bucket = samples.get(key) ?? { days: [], missing: 0, imprecise: 0 };
      samples.set(key, bucket);
      const from = entry.summary.firstFirm[interval.from];
      const to = entry.summary.firstFirm[interval.to];
      if (!from || !to) {
        bucket.missing++;
        continue;
      }
      const [a, b] = [partialDate(from.occurredOn), partialDate(to.occurredOn)];
      if (![a, b].every((date) => date.precision === 'day' || date.precision === 'month')) {
        bucket.imprecise++;
        continue;
      }
      bucket.days.push(Math.round((Date.parse(b.start) - Date.parse(a.start)) / 86_400_000));
    }
  }
  return [...samples.entries()]
    .map(([key, bucket]) => {
      const [kind, interval] = key.split('|') as [string, string];
      const sorted = [...bucket.days].sort((x, y) => x - y);
      const middle = Math.floor(sorted.length / 2);
      const median = sorted.length === 0 ? null : sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
      return {
        kind,
        interval,
        count: sorted.length,
        median,
        min: sorted[0] ?? null,
        max: sorted[sorted.length - 1] ?? null,
        leftOut: { missing: bucket.missing, imprecise: bucket.imprecise },
      };
    })
    .sort((a, b) => a.kind.localeCompare(b.kind) || INTERVALS.findIndex((i) => i.name === a.interval) - INTERVALS.findIndex((i) => i.name === b.interval));
}
