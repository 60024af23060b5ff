import {
  addStep, evolve, extendTimeline, initialState, isStepEventType, refold, restoreStep, stepOf, storeStep,
  type AgreementRegisteredData, type AgreementState, type AgreementSummary, type DatedStep, type LifecycleState, type RecordedStep, type StoredStep, type TimelineEnd,
} from '../../domain/agreement/index.js';
import { partialDate } from '../../domain/shared/partial-date.js';
import type { Items, ProjectedEvent, ReadModel } from '../read-model.js';

/**
 * An agreement in the register: the domain's summary of it and where its timeline ends. Small and
 * of the same size however long the history: the steps are the document's items (one stored row
 * each, see `Item`), read back only when a step belongs earlier in the world's order, a correction
 * reaches into them, or an auditor asks.
 */
export interface RegisterDocument extends TimelineEnd {
  registration: AgreementRegisteredData;
  summary: AgreementSummary;
  /** Its last step's item (the position of the event that recorded it); the steps before it are chained to it. */
  lastStep: number | null;
  /** Global position and time of the agreement's last recorded event: "last activity". */
  lastPosition: number;
  lastRecordedAt: string;
}

/** One row of the register: an agreement as the list of all agreements shows it. */
export interface RegisterEntry {
  id: string;
  title: string;
  kind: string;
  binding: boolean;
  parties: string[];
  status: LifecycleState;
  /** The last firm step in the world's order (the summary's `lastStep`). */
  lastStep: Pick<DatedStep, 'step' | 'occurredOn' | 'eventId'> | null;
  lastPosition: number;
  lastRecordedAt: string;
  /** What the dashboards (partners, durations, stalled) read; not part of the API's row. */
  summary: AgreementSummary;
}

const PREFIX = 'agreement-';

/**
 * (document | undefined, event, its steps) -> document, deterministic: the domain's `evolve`,
 * with the steps on disk. A step that goes at the end of the world's order is folded without its
 * predecessors (`extendTimeline`); any other event reads the steps back and folds them again.
 *
 * The document passed in is updated in place and returned: callers own it and hand it over, as
 * the projector and the as-of replays do. A new object per event, kept until the agreement's next
 * event (thousands of events later in an interleaved log), was what a rebuild's heap filled with.
 */
export function foldRegister(document: RegisterDocument | undefined, { event, position, recordedAt }: ProjectedEvent, steps: Items<StoredStep>): RegisterDocument | undefined {
  if (event.type === 'AgreementRegistered') {
    const after = evolve(document ? stateOf(document, stored(steps, document)) : initialState, event);
    if (!after.registration) return document;
    if (!document) {
      return { registration: after.registration, machine: after.machine, anomalies: after.anomalies, frontier: after.frontier, summary: after.summary, lastStep: null, lastPosition: position, lastRecordedAt: recordedAt };
    }
    return update(document, after, position, recordedAt);
  }
  // Steps of an agreement never registered have no row to go in (the command side refuses them).
  if (!document) return undefined;
  if (isStepEventType(event.type)) {
    const step = stepOf(event);
    const extended = extendTimeline(document, step);
    if (!extended) {
      const after = refold(document.registration, [...stored(steps, document), step]);
      steps.put({ seq: position, prev: document.lastStep, value: storeStep(step) });
      document.lastStep = position;
      return update(document, after, position, recordedAt);
    }
    const summary = addStep(document.summary, step);
    steps.put({ seq: position, prev: document.lastStep, value: storeStep(step) });
    // Changed only once nothing can throw: a fold that fails leaves the document as it was.
    document.lastStep = position;
    document.machine = extended.machine;
    document.anomalies = extended.anomalies;
    document.frontier = extended.frontier;
    document.summary = summary;
    document.lastPosition = position;
    document.lastRecordedAt = recordedAt;
    return document;
  }
  const chain = steps.chain(document.lastStep);
  const before = stateOf(document, chain.map(({ value }) => restoreStep(value)));
  const after = evolve(before, event);
  after.steps.forEach((step, index) => {
    if (step !== before.steps[index]) steps.put({ ...chain[index]!, value: storeStep(step) });
  });
  return update(document, after, position, recordedAt);
}

function stored(steps: Items<StoredStep>, document: RegisterDocument): RecordedStep[] {
  return steps.chain(document.lastStep).map(({ value }) => restoreStep(value));
}

function update(document: RegisterDocument, state: AgreementState, position: number, recordedAt: string): RegisterDocument {
  document.registration = state.registration!;
  document.machine = state.machine;
  document.anomalies = state.anomalies;
  document.frontier = state.frontier;
  document.summary = state.summary;
  document.lastPosition = position;
  document.lastRecordedAt = recordedAt;
  return document;
}

/** The agreement's domain state, given its steps (as stored, in recorded order). */
export function stateOf(document: RegisterDocument, steps: AgreementState['steps']): AgreementState {
  return { registration: document.registration, machine: document.machine, steps, anomalies: document.anomalies, frontier: document.frontier, summary: document.summary };
}

/** A document standing for `state` (an agreement seen as of another moment or date), with the rest of `document`. */
export function documentOf(document: RegisterDocument, state: AgreementState): RegisterDocument {
  return { ...document, machine: state.machine, anomalies: state.anomalies, frontier: state.frontier, summary: state.summary };
}

const entries = new WeakMap<RegisterDocument, RegisterEntry>();

/** The register row of a document, computed once per version of it (every fold moves its last position). */
export function registerEntry(document: RegisterDocument): RegisterEntry {
  let entry = entries.get(document);
  if (!entry || entry.lastPosition !== document.lastPosition) {
    const { registration, machine, summary, lastPosition, lastRecordedAt } = document;
    const last = summary.lastStep;
    entry = {
      id: registration.agreementId,
      title: registration.title,
      kind: registration.kind,
      binding: registration.binding,
      parties: registration.parties,
      status: machine.value,
      lastStep: last ? { step: last.step, occurredOn: last.occurredOn, eventId: last.eventId } : null,
      lastPosition,
      lastRecordedAt,
      summary,
    };
    entries.set(document, entry);
  }
  return entry;
}

/**
 * A step's row, equal to `JSON.stringify(step)`. A step just recorded keeps its event's data as it
 * is, so when the store handed over that data's text the row is put together around it instead of
 * serialising the data again, once per event of a rebuild.
 */
export function serializeStep(step: StoredStep, event?: ProjectedEvent): string {
  const fresh = step.data === event?.event.data && step.original === undefined && step.corrections === undefined && step.withdrawn === undefined;
  if (fresh && event.dataText !== undefined) {
    // JSON.stringify of short strings costs more than the rest of the row: the step's part is
    // made once per name, and an id that needs no escaping (a UUID does not) is quoted as it is.
    return `{"eventId":${quoted(step.eventId)}${stepPart(step.step)}${event.dataText}}`;
  }
  return JSON.stringify(step);
}

const NEEDS_NO_ESCAPING = /^[\w.:-]*$/;
const quoted = (text: string) => (NEEDS_NO_ESCAPING.test(text) ? `"${text}"` : JSON.stringify(text));

const stepParts = new Map<string, string>();
function stepPart(name: string): string {
  let part = stepParts.get(name);
  if (part === undefined) stepParts.set(name, (part = `,"step":${JSON.stringify(name)},"data":`));
  return part;
}

export const registerModel: ReadModel<RegisterDocument, StoredStep> = {
  name: 'register',
  /** 5: folded in the world's order, with the timeline's frontier and the domain's summary; plans fulfilled only by steps not certainly earlier. */
  version: 5,
  streamPrefix: PREFIX,
  keyOf: ({ stream }) => stream.slice(PREFIX.length),
  // Every event folded into a document moves its last position, whatever else it changes.
  positionOf: (document) => document.lastPosition,
  fold: foldRegister,
  toJSON: (document) => document,
  fromJSON: (json) => {
    const document = json as RegisterDocument;
    if (typeof document?.machine?.value !== 'string' || typeof document.summary !== 'object' || !('frontier' in document) || !('latestFirm' in document.summary)) {
      throw new Error('not a register document of version 5');
    }
    return document;
  },
  items: {
    lastOf: (document) => document.lastStep,
    serialize: serializeStep,
    parse: (json) => JSON.parse(json) as StoredStep,
    // The parsed date itself (kept and shared by partialDate): no object made per step.
    spanOf: (step) => (step.withdrawn ? undefined : partialDate(step.data.occurredOn)),
  },
};
