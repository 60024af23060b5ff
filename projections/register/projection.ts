import {
  evolveConsuming, initialState, lifecycleState, plannedSteps, restoreState, storeState, storeStep,
  type AgreementState, type LifecycleState, type RecordedStep, type StepName, type StoredAgreementState,
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

/**
 * The agreement's domain state (so that corrections recompute the status) and its last activity.
 * The row is derived from it on demand (`registerEntry`), not on every event: a rebuild folds
 * many events per agreement and the row of a long history is not small.
 */
export interface RegisterDocument {
  state: AgreementState;
  lastPosition: number;
  lastRecordedAt: string;
}

const PREFIX = 'agreement-';

/**
 * (document | undefined, event) -> document, deterministic. The document passed in is consumed:
 * its step list may grow into the result's (see `evolveConsuming`), so callers replace it and do
 * not read it again, as the projector and the as-of replays do.
 */
export function foldRegister(document: RegisterDocument | undefined, { event, position, recordedAt }: ProjectedEvent): RegisterDocument | undefined {
  const state = evolveConsuming(document?.state ?? initialState, event);
  if (!state.registration) return document;
  return { state, lastPosition: position, lastRecordedAt: recordedAt };
}

const entries = new WeakMap<RegisterDocument, RegisterEntry>();

/** The register row of a document, computed once per document (documents are never changed in place). */
export function registerEntry(document: RegisterDocument): RegisterEntry {
  let entry = entries.get(document);
  if (!entry) {
    entry = buildEntry(document);
    entries.set(document, entry);
  }
  return entry;
}

function buildEntry({ state, lastPosition, lastRecordedAt }: RegisterDocument): RegisterEntry {
  const registration = state.registration!;
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
    id: registration.agreementId,
    title: registration.title,
    kind: registration.kind,
    binding: registration.binding,
    parties: registration.parties,
    status: lifecycleState(state),
    lastStep: last ? { step: last.step, occurredOn: last.data.occurredOn, tentative: last.data.tentative === true } : null,
    lastPosition,
    lastRecordedAt,
    steps,
  };
}

const stepJson = new WeakMap<RecordedStep, string>();

/**
 * `JSON.stringify(registerModel.toJSON(document))`, the same bytes, with each step's JSON made
 * once: steps never change in place (a correction makes a new one), and a rebuild stores an
 * agreement's document many times as its history grows.
 */
function serializeRegister({ state, lastPosition, lastRecordedAt }: RegisterDocument): string {
  const steps = state.steps.map((step) => {
    let json = stepJson.get(step);
    if (json === undefined) {
      json = JSON.stringify(storeStep(step));
      stepJson.set(step, json);
    }
    return json;
  });
  const registration = state.registration === undefined ? '' : `"registration":${JSON.stringify(state.registration)},`;
  return `{"state":{${registration}"machine":${JSON.stringify(state.machine)},"steps":[${steps.join(',')}],"anomalies":${JSON.stringify(state.anomalies)}},"lastPosition":${lastPosition},"lastRecordedAt":${JSON.stringify(lastRecordedAt)}}`;
}

export const registerModel: ReadModel<RegisterDocument> = {
  name: 'register',
  /** 2: compact stored steps (no derived type, original facts only once corrected). */
  version: 2,
  streamPrefix: PREFIX,
  keyOf: ({ stream }) => stream.slice(PREFIX.length),
  fold: foldRegister,
  toJSON: (document) => ({ state: storeState(document.state), lastPosition: document.lastPosition, lastRecordedAt: document.lastRecordedAt }),
  serialize: serializeRegister,
  fromJSON: (json) => {
    const stored = json as { state: StoredAgreementState; lastPosition: number; lastRecordedAt: string };
    return { state: restoreState(stored.state), lastPosition: stored.lastPosition, lastRecordedAt: stored.lastRecordedAt };
  },
};
