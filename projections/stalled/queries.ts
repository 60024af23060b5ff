import { partialDate } from '../../domain/shared/partial-date.js';
import { isOverdue, type DatedStep } from '../../domain/agreement/index.js';
import type { RegisterEntry } from '../register/projection.js';

const NEGOTIATION = new Set(['exploring', 'mandated', 'negotiating', 'negotiations_stalled', 'negotiations_suspended']);

/**
 * Negotiations with no firm step for longer than `months` before `today` (a day, YYYY-MM-DD, that
 * the caller supplies: the query keeps no clock). Idleness counts from the summary's `latestFirm`,
 * the last day a firm step's date may mean, so "2020" is not called stale before 2021 starts.
 */
export function stalled(entries: Iterable<RegisterEntry>, months: number, today: string): Array<{ id: string; title: string; status: string; latestFirm: DatedStep; idleMonths: number }> {
  const cutoff = new Date(`${today}T00:00:00Z`);
  cutoff.setUTCMonth(cutoff.getUTCMonth() - months);
  const rows = [];
  for (const entry of entries) {
    if (!NEGOTIATION.has(entry.status)) continue;
    const latestFirm = entry.summary.latestFirm;
    if (!latestFirm) continue;
    const end = new Date(`${partialDate(latestFirm.occurredOn).end}T00:00:00Z`);
    if (end >= cutoff) continue;
    const idleMonths = (Date.parse(`${today}T00:00:00Z`) - end.getTime()) / (86_400_000 * 30.44);
    rows.push({ id: entry.id, title: entry.title, status: entry.status, latestFirm, idleMonths: Math.floor(idleMonths) });
  }
  return rows.sort((a, b) => b.idleMonths - a.idleMonths || a.id.localeCompare(b.id));
}

/** Planned steps whose last possible day is before `today` and that no firm step has fulfilled: expected, and late. */
export function overdue(entries: Iterable<RegisterEntry>, today: string): Array<{ id: string; title: string; status: string; planned: DatedStep }> {
  const rows = [];
  for (const entry of entries) {
    for (const planned of entry.summary.planned) {
      if (isOverdue(planned, today)) rows.push({ id: entry.id, title: entry.title, status: entry.status, planned });
    }
  }
  return rows.sort((a, b) => partialDate(a.planned.occurredOn).end.localeCompare(partialDate(b.planned.occurredOn).end) || a.id.localeCompare(b.id));
}
