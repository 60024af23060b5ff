import { asOccurredBy, restoreStep, type StoredStep } from '../../domain/agreement/index.js';
import type { PartialDate } from '../../domain/shared/partial-date.js';
import { ItemsInMemory } from '../../projections/read-model.js';
import { documentOf, foldRegister, registerEntry, stateWithSteps, type RegisterDocument, type RegisterEntry } from '../../projections/register/projection.js';
import type { EventStore } from '../event-store/port.js';
import { toRecorded } from './handle-command.js';
import type { RegisterProjector } from './register-projector.js';

/**
 * The register as the ledger knew it at `until` (an ISO time), computed by replaying the log up
 * to that moment through the same fold the live register uses: rows, statuses and last activity
 * are exactly what the register showed then. Costs a pass over the log, and holds the steps of
 * the log up to then in memory: an audit question, not a dashboard's polling.
 */
export async function registerRecordedAsOf(store: EventStore, until: string): Promise<RegisterEntry[]> {
  const limit = Date.parse(until);
  const documents = new Map<string, RegisterDocument>();
  const steps = new Map<string, ItemsInMemory<StoredStep>>();
  for await (const stored of store.readAll({ streamPrefix: 'agreement-' })) {
    if (Date.parse(stored.recordedAt) > limit) break;
    const key = stored.stream.slice('agreement-'.length);
    let items = steps.get(key);
    if (!items) steps.set(key, (items = new ItemsInMemory()));
    const next = foldRegister(documents.get(key), { stream: stored.stream, position: stored.position, recordedAt: stored.recordedAt, event: toRecorded(stored) }, items);
    if (next) documents.set(key, next);
  }
  return [...documents.values()].map(registerEntry);
}

/** A register row as it stood in the world by a date, with the steps that may fall either side of it. */
export interface OccurredByEntry extends RegisterEntry {
  /** Steps whose dates straddle the boundary: listed, not counted. */
  uncertainSteps: { step: string; occurredOn: string; eventId: string }[];
}

/**
 * Every agreement as it stood in the world by `boundary`, by what is known now (corrections
 * applied). An agreement none of whose steps can have happened by then did not exist in the world
 * yet and is left out; one whose only steps straddle the boundary is kept, with them listed.
 * Reads every agreement's steps from disk, one agreement at a time.
 */
export function registerOccurredBy(register: Pick<RegisterProjector, 'entries' | 'items'>, boundary: PartialDate): { entries: OccurredByEntry[]; uncertain: number } {
  let uncertain = 0;
  const entries: OccurredByEntry[] = [];
  for (const [key, document] of register.entries()) {
    const state = stateWithSteps(document, register.items(key).map(({ value }) => restoreStep(value)));
    const view = asOccurredBy(state, boundary);
    if (view.state.steps.length === 0 && view.uncertain.length === 0) continue;
    uncertain += view.uncertain.length;
    // Same document shape as the live register, so the row is built by the same code.
    const entry = registerEntry(documentOf(document, view.state));
    entries.push({
      ...entry,
      uncertainSteps: view.uncertain.map((step) => ({ step: step.step, occurredOn: step.data.occurredOn, eventId: step.eventId })),
    });
  }
  return { entries, uncertain };
}
