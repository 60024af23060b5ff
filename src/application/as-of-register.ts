import { asOccurredBy, lifecycleState, type LifecycleState } from '../../domain/agreement/index.js';
import type { PartialDate } from '../../domain/shared/partial-date.js';
import { foldRegister, registerEntry, type RegisterDocument } from '../../projections/register/projection.js';
import type { EventStore } from '../event-store/port.js';
import { toRecorded } from './handle-command.js';

/** What the pipeline needs of an agreement at another moment. */
export interface AsOfRow {
  id: string;
  kind: string;
  status: LifecycleState;
}

/**
 * The register as the ledger knew it at `until` (an ISO time), computed by replaying the log up
 * to that moment through the same fold the live register uses. Costs a pass over the log: an audit
 * question, not a dashboard's polling.
 */
export async function registerRecordedAsOf(store: EventStore, until: string): Promise<AsOfRow[]> {
  const limit = Date.parse(until);
  const documents = new Map<string, RegisterDocument>();
  for await (const stored of store.readAll({ streamPrefix: 'agreement-' })) {
    if (Date.parse(stored.recordedAt) > limit) break;
    const key = stored.stream.slice('agreement-'.length);
    const next = foldRegister(documents.get(key), { stream: stored.stream, position: stored.position, recordedAt: stored.recordedAt, event: toRecorded(stored) });
    if (next) documents.set(key, next);
  }
  return [...documents.values()].map((document) => {
    const entry = registerEntry(document);
    return { id: entry.id, kind: entry.kind, status: entry.status };
  });
}

/** Every agreement as it stood in the world by `boundary`, by what is known now; plus the steps that straddle it. */
export function registerOccurredBy(documents: Iterable<RegisterDocument>, boundary: PartialDate): { rows: AsOfRow[]; uncertain: number } {
  let uncertain = 0;
  const rows = [...documents].map((document) => {
    const view = asOccurredBy(document.state, boundary);
    uncertain += view.uncertain.length;
    return { id: document.state.registration!.agreementId, kind: document.state.registration!.kind, status: lifecycleState(view.state) };
  });
  return { rows, uncertain };
}
