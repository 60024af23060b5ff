import type { DatedStep } from '../../domain/agreement/index.js';
import type { RegisterEntry } from '../register/projection.js';
import { STAGES } from '../pipeline/queries.js';

export interface PartnerAgreement {
  id: string;
  title: string;
  kind: string;
  status: string;
  stage: string;
  lastStep: DatedStep | null;
  /** Planned steps not yet fulfilled, by first possible day. */
  nextSteps: DatedStep[];
}

/** Parties that stand on the EU side of every agreement are not "partners" of it. */
const OWN_SIDE = new Set(['eu', 'european union']);

export function partners(entries: Iterable<RegisterEntry>): Array<{ party: string; agreements: number; stages: Record<string, number> }> {
  const byParty = new Map<string, { party: string; agreements: number; stages: Record<string, number> }>();
  for (const entry of entries) {
    for (const party of entry.parties) {
      if (OWN_SIDE.has(party.toLowerCase())) continue;
      const row = byParty.get(party.toLowerCase()) ?? { party, agreements: 0, stages: {} };
      row.agreements++;
      const stage = STAGES[entry.status];
      row.stages[stage] = (row.stages[stage] ?? 0) + 1;
      byParty.set(party.toLowerCase(), row);
    }
  }
  return [...byParty.values()].sort((a, b) => a.party.localeCompare(b.party));
}

/** Every agreement with this party (case-insensitive), with its stage, last firm step and next planned ones. */
export function partner(entries: Iterable<RegisterEntry>, party: string): PartnerAgreement[] {
  const wanted = party.toLowerCase();
  return [...entries]
    .filter((entry) => entry.parties.some((p) => p.toLowerCase() === wanted))
    .map((entry) => ({
      id: entry.id,
      title: entry.title,
      kind: entry.kind,
      status: entry.status,
      stage: STAGES[entry.status],
      lastStep: entry.summary.lastStep,
      nextSteps: entry.summary.planned,
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
}
