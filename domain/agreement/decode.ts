import type { z } from 'zod';
import { acceptsAsIs } from './accepts-as-is.js';
import { AgreementRegisteredData, StepCorrectedData, StepData, StepWithdrawnData, type RecordedEvent } from './events.js';
import { isStepEventType, STEP_NAMES, STEPS, type StepEventType } from './steps.js';

/** An event as the store gives it back: its data and metadata exactly as stored. */
export interface StoredForm {
  id: string;
  type: string;
  data: unknown;
  /** `schemaVersion` says which version of its type's data it holds; absent: 1. */
  metadata?: Readonly<Record<string, unknown>>;
}

/** Turns the data of one version of an event type into the next version's. */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/** The data schema of every event type at the current version. */
export interface EventSchemas {
  AgreementRegistered: z.ZodType<AgreementRegisteredData>;
  StepCorrected: z.ZodType<StepCorrectedData>;
  StepWithdrawn: z.ZodType<StepWithdrawnData>;
  steps: Readonly<Partial<Record<StepEventType, z.ZodType<StepData>>>>;
}

/** What the decoder knows of the events' versions: the write path stamps `current`; older data is upcast to it. */
export interface EventVersions {
  current: number;
  schemas: EventSchemas;
  /** `upcasters[type][v]` reads version v of that type's data; a type without one for v keeps its data as it is. */
  upcasters: Readonly<Record<string, Readonly<Record<number, Upcaster>>>>;
}

/** The ledger's events as they are today: every stored event is of the first version. */
export const EVENT_VERSIONS: EventVersions = {
  current: 1,
  schemas: {
    AgreementRegistered: AgreementRegisteredData,
    StepCorrected: StepCorrectedData,
    StepWithdrawn: StepWithdrawnData,
    steps: Object.fromEntries(STEP_NAMES.map((name) => [STEPS[name].type, StepData])),
  },
  upcasters: {},
};

/** A stored event that is not an event of this ledger, named by its id, type and the field at fault. */
export class EventDecodeError extends Error {
  readonly code = 'EVENT_UNDECODABLE';
  constructor(
    readonly eventId: string,
    readonly type: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`stored event ${eventId} (${type}): ${field}: ${reason}`);
    this.name = 'EventDecodeError';
  }
}

/**
 * The one way from the store to the domain: reads the event's schema version, upcasts its data to
 * the current version, and checks it against its type's schema. Valid data of the current version
 * comes back as the same object (read models may keep its stored text); anything else is refused.
 */
export function decodeEvent(stored: StoredForm, versions: EventVersions = EVENT_VERSIONS): RecordedEvent {
  const { id, type } = stored;
  const version = stored.metadata?.schemaVersion ?? 1;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > versions.current) {
    const known = versions.current === 1 ? 'only version 1' : `versions 1 to ${versions.current}`;
    throw new EventDecodeError(id, type, 'metadata.schemaVersion', `is ${JSON.stringify(version)}: this ledger reads ${known}`);
  }
  let data = stored.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new EventDecodeError(id, type, 'data', 'must be an object');
  for (let from = version; from < versions.current; from++) {
    const upcast = versions.upcasters[type]?.[from];
    if (upcast) data = upcast(data as Record<string, unknown>);
  }
  const { schemas } = versions;
  if (type === 'AgreementRegistered') return { id, type, data: valid(schemas.AgreementRegistered, data, id, type) };
  if (type === 'StepCorrected') return { id, type, data: valid(schemas.StepCorrected, data, id, type) };
  if (type === 'StepWithdrawn') return { id, type, data: valid(schemas.StepWithdrawn, data, id, type) };
  if (isStepEventType(type)) {
    const schema = schemas.steps[type];
    if (schema) return { id, type, data: valid(schema, data, id, type) };
  }
  throw new EventDecodeError(id, type, 'type', 'is not a type of event this ledger records');
}

function valid<T>(schema: z.ZodType<T>, data: unknown, id: string, type: string): T {
  // The quick check says yes to almost every stored event; zod has the last word on the rest.
  if (acceptsAsIs(schema)?.(data)) return data;
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  // A key the schema does not know is named as the field at fault, not its object.
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  const reason = issue.code === 'unrecognized_keys' ? 'is not a field of this event' : issue.message;
  throw new EventDecodeError(id, type, ['data', ...path.map(String)].join('.'), reason);
}
