import {
  evolve, initialState, lifecycleState, plannedSteps, restoreState, storeState,
  type AgreementState, type LifecycleState, type StepName, type StoredAgreementState,
} from '../../domain/agreement/index.js';
import type { ProjectedEvent, ReadModel } from '../read-model.js';

/** A step as dashboards show it: corrections applied, withdrawn ones left out. */
export interface DatedStep {
  eventId: string;
  step: StepName;
  occurredOn: string;
  tentative: boolean;
  /** Planned and not yet fulfilled by a firm step of the same kind. */
  planned: boolean;
  body?: string;
  location?: string;
  party?: string;
}

/** One row of the register: an agreement as the list of all agreements shows it. */
export interface RegisterEntry {
  id: string;
  title: string;
  kind: string;
  binding: boolean;
  parties: string[];
  status: LifecycleState;
  lastStep: { step: string; occurredOn: string; tentative: boolean } | null;
  /** Global position and time of the agreement's last recorded event: "last activity". */
  lastPosition: number;
  lastRecordedAt: string;
  /** Every step in recorded order: what the dashboards (pipeline, partners, calendar, durations, stalled) read. */
  steps: DatedStep[];
}

/** The row, and the agreement's domain state beside it so that corrections recompute the status. */
export interface RegisterDocument {
  entry: RegisterEntry;
  state: AgreementState;
}

const PREFIX = 'agreement-';

/** Pure: (document | undefined, event) -> document. */
export function foldRegister(document: RegisterDocument | undefined, { event, position, recordedAt }: ProjectedEvent): RegisterDocument | undefined {
  const state = evolve(document?.state ?? initialState, event);
  const registration = state.registration;
  if (!registration) return document;
  const last = [...state.steps].reverse().find((step) => !step.withdrawn);
  const planned = new Set(plannedSteps(state).map((step) => step.eventId));
  const steps = state.steps
    .filter((step) => !step.withdrawn)
    .map((step): DatedStep => ({
      eventId: step.eventId,
      step: step.step,
      occurredOn: step.data.occurredOn,
      tentative: step.data.tentative === true,
      planned: planned.has(step.eventId),
      ...(step.data.body !== undefined ? { body: step.data.body } : {}),
      ...(step.data.location !== undefined ? { location: step.data.location } : {}),
      ...(step.data.party !== undefined ? { party: step.data.party } : {}),
    }));
  return {
    state,
    entry: {
      id: registration.agreementId,
      title: registration.title,
      kind: registration.kind,
      binding: registration.binding,
      parties: registration.parties,
      status: lifecycleState(state),
      lastStep: last ? { step: last.step, occurredOn: last.data.occurredOn, tentative: last.data.tentative === true } : null,
      lastPosition: position,
      lastRecordedAt: recordedAt,
      steps,
    },
  };
}

export const registerModel: ReadModel<RegisterDocument> = {
  name: 'register',
  version: 1,
  streamPrefix: PREFIX,
  keyOf: ({ stream }) => stream.slice(PREFIX.length),
  fold: foldRegister,
  toJSON: (document) => ({ entry: document.entry, state: storeState(document.state) }),
  fromJSON: (json) => {
    const stored = json as { entry: RegisterEntry; state: StoredAgreementState };
    return { entry: stored.entry, state: restoreState(stored.state) };
  },
};
