import type { LifecycleState } from '../../domain/agreement/index.js';
import type { RegisterEntry } from '../register/projection.js';

/** Lifecycle states grouped the way people who follow agreements talk about them. */
export const STAGES: Record<LifecycleState, string> = {
  unregistered: 'registered',
  draft: 'registered',
  exploring: 'negotiation',
  mandated: 'negotiation',
  negotiating: 'negotiation',
  negotiations_stalled: 'negotiation_paused',
  negotiations_suspended: 'negotiation_paused',
  negotiations_concluded: 'text_agreed',
  initialled: 'text_agreed',
  signed: 'signed',
  ratifying: 'ratification',
  ratification_frozen: 'ratification',
  concluded: 'ratification',
  provisionally_applied: 'applied',
  in_force: 'applied',
  in_place: 'applied',
  suspension_announced: 'suspended',
  suspended: 'suspended',
  terminated: 'ended',
  superseded: 'ended',
};

export const STAGE_ORDER = ['registered', 'negotiation', 'negotiation_paused', 'text_agreed', 'signed', 'ratification', 'applied', 'suspended', 'ended'];

export interface PipelineCell {
  stage: string;
  kind: string;
  count: number;
  ids: string[];
}

/** Counts of agreements by stage and kind, with the ids in each cell; stages in lifecycle order. */
export function pipeline(entries: Iterable<Pick<RegisterEntry, 'id' | 'kind' | 'status'>>): { cells: PipelineCell[]; byStage: Record<string, number>; total: number } {
  const cells = new Map<string, PipelineCell>();
  const byStage: Record<string, number> = Object.fromEntries(STAGE_ORDER.map((stage) => [stage, 0]));
  let total = 0;
  for (const entry of entries) {
    const stage = STAGES[entry.status];
    const key = `${stage}|${entry.kind}`;
    const cell = cells.get(key) ?? { stage, kind: entry.kind, count: 0, ids: [] };
    cell.count++;
    cell.ids.push(entry.id);
    cells.set(key, cell);
    byStage[stage] = (byStage[stage] ?? 0) + 1;
    total++;
  }
  const ordered = [...cells.values()]
    .map((cell) => ({ ...cell, ids: cell.ids.sort() }))
    .sort((a, b) => STAGE_ORDER.indexOf(a.stage) - STAGE_ORDER.indexOf(b.stage) || a.kind.localeCompare(b.kind));
  return { cells: ordered, byStage, total };
}
