import type { z } from 'zod';
import {
  allowedSteps, applyChanges, isOverdue, lifecycleState, STEP_BY_TYPE, isStepEventType,
  type AgreementState, type DatedStep, type RecordedStep, type StepData, type StepName,
} from '../../domain/agreement/index.js';
import { partialDate } from '../../domain/shared/partial-date.js';
import type { RegisterEntry } from '../../projections/register/projection.js';
import type { StoredEvent } from '../event-store/port.js';
import type { AgreementView, HistoryEntry, StoredEventView } from './schemas/agreements.js';

/** The milestones an agreement page shows, each the first firm occurrence of its step in the world's order. */
const MILESTONES: Record<string, StepName> = {
  mandateAdopted: 'mandate_adopted',
  negotiationsOpened: 'negotiations_opened',
  negotiationsConcluded: 'negotiations_concluded',
  initialled: 'initialled',
  signed: 'signed',
  consentGiven: 'consent_given',
  ratified: 'ratified',
  concluded: 'concluded',
  provisionallyApplied: 'provisionally_applied',
  enteredIntoForce: 'entered_into_force',
  adopted: 'adopted',
  launched: 'launched',
  suspended: 'suspended',
  terminated: 'terminated',
  superseded: 'superseded',
};

/** A step as every answer names it: the same fields in the register, the agreement and the dashboards. */
export const stepRef = ({ step, occurredOn, eventId }: Pick<DatedStep, 'step' | 'occurredOn' | 'eventId'>) => ({ step, occurredOn, occurredOnEdtf: partialDate(occurredOn).edtf, eventId });

/** A planned step, and whether its last possible day has passed without it being recorded as done. */
export const plannedRef = (step: DatedStep, today: string) => ({ ...stepRef(step), overdue: isOverdue(step, today) });

/** The agreement page, every field read off the domain's one summary; `today` (YYYY-MM-DD) decides what is overdue. */
export function agreementView(state: AgreementState, revision: number, today: string): z.infer<typeof AgreementView> {
  const registration = state.registration!;
  const { summary } = state;
  const next = summary.planned[0];
  return {
    id: registration.agreementId,
    title: registration.title,
    kind: registration.kind,
    binding: registration.binding,
    parties: registration.parties,
    links: registration.links,
    ...(registration.note ? { note: registration.note } : {}),
    ...(registration.source ? { source: registration.source } : {}),
    status: lifecycleState(state),
    milestones: Object.fromEntries(
      Object.entries(MILESTONES).map(([name, step]) => {
        const first = summary.firstFirm[step];
        return [name, first ? { occurredOn: first.occurredOn, eventId: first.eventId } : null];
      }),
    ),
    lastStep: summary.lastStep ? stepRef(summary.lastStep) : null,
    nextPlanned: next ? plannedRef(next, today) : null,
    planned: summary.planned.map((step) => plannedRef(step, today)),
    allowedSteps: allowedSteps(state.machine),
    revision,
    anomalies: [...state.anomalies],
  };
}

/** A register row as the API answers it: the entry without what only dashboards read, and its next planned step. */
export function registerRow<Entry extends RegisterEntry>({ summary, ...row }: Entry, today: string) {
  const next = summary.planned[0];
  return { ...row, lastStep: row.lastStep ? stepRef(row.lastStep) : null, nextPlanned: next ? plannedRef(next, today) : null };
}

export function storedEventView(event: StoredEvent): z.infer<typeof StoredEventView> {
  const metadata = event.metadata as { actor?: string; commandId?: string; correlationId?: string };
  const occurredOn = (event.data as { occurredOn?: unknown }).occurredOn;
  return {
    eventId: event.id,
    type: event.type,
    ...(isStepEventType(event.type) ? { step: STEP_BY_TYPE[event.type] } : {}),
    revision: event.revision,
    position: event.position,
    ...(typeof occurredOn === 'string' ? { occurredOn } : {}),
    data: event.data,
    recordedAt: event.recordedAt,
    ...(metadata.actor ? { recordedBy: metadata.actor } : {}),
    ...(metadata.commandId ? { commandId: metadata.commandId } : {}),
    ...(metadata.correlationId ? { correlationId: metadata.correlationId } : {}),
  };
}

/**
 * Every version a step had: as recorded, then after each correction (cumulative), then withdrawn;
 * each with who did it, when (recorded) and why. `byId` holds the stream's events.
 */
export function stepVersions(step: RecordedStep, byId: ReadonlyMap<string, StoredEvent>): NonNullable<z.infer<typeof HistoryEntry>['versions']> {
  const who = (id: string) => (byId.get(id)?.metadata as { actor?: string } | undefined)?.actor;
  const when = (id: string) => byId.get(id)?.recordedAt ?? '';
  const versions: NonNullable<z.infer<typeof HistoryEntry>['versions']> = [];
  const first = { version: 1, data: step.original, eventId: step.eventId, at: when(step.eventId) };
  const firstBy = who(step.eventId);
  versions.push(firstBy ? { ...first, by: firstBy } : first);
  let data: StepData = step.original;
  for (const correction of step.corrections) {
    data = applyChanges(data, correction.changes);
    const by = who(correction.eventId);
    versions.push({ version: versions.length + 1, data, eventId: correction.eventId, at: when(correction.eventId), reason: correction.reason, changes: correction.changes, ...(by ? { by } : {}) });
  }
  if (step.withdrawn) {
    const by = who(step.withdrawn.eventId);
    versions.push({ version: versions.length + 1, data: null, eventId: step.withdrawn.eventId, at: when(step.withdrawn.eventId), reason: step.withdrawn.reason, withdrawn: true, ...(by ? { by } : {}) });
  }
  return versions;
}

/** Every event in order; steps carry their corrections, corrections say what they correct. */
export function historyEntry(event: StoredEvent, state: AgreementState): z.infer<typeof HistoryEntry> {
  const view = storedEventView(event);
  const step = state.steps.find((candidate) => candidate.eventId === event.id);
  if (step) {
    return {
      ...view,
      effective: step.data,
      ...(step.corrections.length ? { correctedBy: step.corrections } : {}),
      ...(step.withdrawn ? { withdrawnBy: step.withdrawn } : {}),
    };
  }
  const data = event.data as { correctedEventId?: string; withdrawnEventId?: string };
  const corrects = data.correctedEventId ?? data.withdrawnEventId;
  return corrects ? { ...view, corrects } : view;
}
