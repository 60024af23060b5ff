import {
  evolve, initialState, lifecycleState, type AgreementState, type LifecycleState, type RecordedEvent,
} from '../../domain/agreement/index.js';

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
}

/** The fold keeps each agreement's domain state beside its row, so corrections recompute the status. */
export interface RegisterDocument {
  entry: RegisterEntry;
  state: AgreementState;
}

export interface RegisterEvent {
  stream: string;
  position: number;
  recordedAt: string;
  event: RecordedEvent;
}

export const REGISTER = { name: 'register', version: 1, streamPrefix: 'agreement-' } as const;

/** Pure: (document | undefined, event) -> document. */
export function foldRegister(document: RegisterDocument | undefined, { event, position, recordedAt }: RegisterEvent): RegisterDocument | undefined {
  const state = evolve(document?.state ?? initialState, event);
  const registration = state.registration;
  if (!registration) return document;
  const last = [...state.steps].reverse().find((step) => !step.withdrawn);
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
    },
  };
}
