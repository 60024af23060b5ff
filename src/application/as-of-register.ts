import { asOccurredBy, extendTimeline, lifecycleState, isStepEventType, rehydrate, restoreStep, stepOf, type RecordedEvent, type StoredStep } from '../../domain/agreement/index.js';
import type { PartialDate } from '../../domain/shared/partial-date.js';
import { ItemsInMemory, type Items } from '../../projections/read-model.js';
import { documentOf, foldRegister, registerEntry, stateOf, type RegisterDocument, type RegisterEntry } from '../../projections/register/projection.js';
import { IntegrityError, StoreCorruptError } from '../event-store/errors.js';
import type { EventStore, StoredEvent } from '../event-store/port.js';
import { toRecorded } from './handle-command.js';
import { QueryBudget, type Slices } from './query-budget.js';
import type { RegisterProjector } from './register-projector.js';

const PREFIX = 'agreement-';

/** A recording moment this long past is settled: no event recorded later can be dated before it. */
const SETTLED_MS = 60_000;
const REPLAY_PAGE = 200;

/** A register row as it stood in the world by a date, with the steps that may fall either side of it. */
export interface OccurredByEntry extends RegisterEntry {
  /** Steps whose dates straddle the boundary: listed, not counted. */
  uncertainSteps: { step: string; occurredOn: string; eventId: string }[];
  /** When they would change it: the status had they all happened by the date. */
  possibleStatus?: string;
}

/** An agreement left out of a replay because its stream is damaged: where the store found it. */
export interface DamagedAgreement {
  agreementId: string;
  /** Unknown only where the store cannot tell which event a damaged page held. */
  position?: number;
}

/** The register as recorded at a moment, and the agreements the replay had to leave out. */
export interface RegisterAsOf {
  entries: RegisterEntry[];
  damaged: DamagedAgreement[];
}

/**
 * The register at another moment, for auditors: each answer runs within a query budget, in
 * slices. The last answer for a settled recording moment is kept, so paging through it replays
 * the log once.
 */
export class AsOfRegister {
  private kept: { until: string; answer: RegisterAsOf } | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly register: Pick<RegisterProjector, 'entries' | 'items' | 'position'>,
    private readonly budget = new QueryBudget(),
  ) {}

  async recordedAsOf(until: string): Promise<RegisterAsOf> {
    if (this.kept?.until === until) return this.kept.answer;
    return this.budget.run(async (slices) => {
      const startedAt = Date.now();
      const answer = await registerRecordedAsOf(this.store, until, slices);
      if (Date.parse(until) < startedAt - SETTLED_MS) this.kept = { until, answer };
      return answer;
    });
  }

  /** The world by `boundary` as the ledger knows it now; `today` is the day of now. */
  occurredBy(boundary: PartialDate, today: string): Promise<{ entries: OccurredByEntry[]; uncertain: number }> {
    return this.budget.run((slices) => registerOccurredBy(this.register, boundary, today, slices));
  }

  bitemporal(until: string, boundary: PartialDate): Promise<{ entries: OccurredByEntry[]; uncertain: number; damaged: DamagedAgreement[] }> {
    return this.budget.run((slices) => registerBitemporal(this.store, this.register, until, boundary, slices));
  }
}

/** A replay keeps no steps: only a correction reads them back, and `stepsBefore` fetches those. */
const NO_STEPS: Items<StoredStep> = {
  chain: () => {
    throw new Error('a replay keeps no steps');
  },
  put: () => {},
};

/**
 * The register as the ledger knew it at `until` (an ISO time), computed by replaying the log up
 * to that moment through the same fold the live register uses: rows, statuses and last activity
 * are exactly what the register showed then. Memory holds one document per agreement: the steps
 * a correction reaches back to are read again from that agreement's stream, which the store checks:
 * an agreement whose stream is damaged is left out of the answer and named, the others answered.
 */
export async function registerRecordedAsOf(store: EventStore, until: string, slices: Slices): Promise<RegisterAsOf> {
  const limit = Date.parse(until);
  const documents = new Map<string, RegisterDocument>();
  const damaged = new Map<string, DamagedAgreement>();
  const answer = (): RegisterAsOf => ({ entries: [...documents.values()].map(registerEntry), damaged: [...damaged.values()] });
  // Short pages: reading one is work the event loop cannot interrupt.
  for (let from = 1, read = REPLAY_PAGE; read === REPLAY_PAGE; ) {
    read = 0;
    for await (const stored of store.readAll({ fromPosition: from, streamPrefix: PREFIX, limit: REPLAY_PAGE })) {
      read++;
      from = stored.position + 1;
      if (Date.parse(stored.recordedAt) > limit) return answer();
      const key = stored.stream.slice(PREFIX.length);
      if (damaged.has(key)) continue;
      const document = documents.get(key);
      // Only an event that does not go at the end of the agreement's timeline needs its steps.
      const reachesBack = document !== undefined && stored.type !== 'AgreementRegistered' && (!isStepEventType(stored.type) || !extendTimeline(document, stepOf(toRecorded(stored))));
      let steps = NO_STEPS;
      try {
        if (reachesBack) steps = await stepsBefore(store, stored, slices);
      } catch (error) {
        if (!(error instanceof IntegrityError || error instanceof StoreCorruptError)) throw error;
        damaged.set(key, error.position === undefined ? { agreementId: key } : { agreementId: key, position: error.position });
        documents.delete(key);
        continue;
      }
      const next = foldRegister(document, projected(stored), steps);
      if (next) documents.set(key, next);
    }
    await slices.next();
  }
  return answer();
}

/** The steps of `event`'s agreement as they stood just before it, folded again from its stream. */
async function stepsBefore(store: EventStore, event: StoredEvent, slices: Slices): Promise<ItemsInMemory<StoredStep>> {
  const steps = new ItemsInMemory<StoredStep>();
  let document: RegisterDocument | undefined;
  if (event.revision === 0) return steps;
  for await (const earlier of store.readStream(event.stream, { to: event.revision - 1 })) {
    await slices.next();
    document = foldRegister(document, projected(earlier), steps);
  }
  return steps;
}

const projected = (stored: StoredEvent) => ({ stream: stored.stream, position: stored.position, recordedAt: stored.recordedAt, event: toRecorded(stored) });

/**
 * Every agreement as it stood in the world by `boundary`, by what is known now (corrections
 * applied). An agreement none of whose steps can have happened by then did not exist in the world
 * yet and is left out; one whose only steps straddle the boundary is kept, with them listed.
 * Reads every agreement's steps from disk, one agreement at a time.
 */
export async function registerOccurredBy(
  register: Pick<RegisterProjector, 'entries' | 'items'>,
  boundary: PartialDate,
  today: string,
  slices: Slices,
): Promise<{ entries: OccurredByEntry[]; uncertain: number }> {
  let uncertain = 0;
  const entries: OccurredByEntry[] = [];
  for (const [key, document] of register.entries()) {
    await slices.next();
    const state = stateOf(document, register.items(key).map(({ value }) => restoreStep(value)));
    const entry = occurredByEntry(document, asOccurredBy(state, boundary, today));
    if (!entry) continue;
    uncertain += entry.uncertainSteps.length;
    entries.push(entry);
  }
  return { entries, uncertain };
}

/**
 * Both axes at once: every agreement as it stood in the world by `boundary`, as the ledger knew
 * it at `until`. Each agreement's stream is read up to that moment (the store checks it) and
 * folded by the domain; an agreement registered later did not exist for the ledger yet.
 */
export async function registerBitemporal(
  store: EventStore,
  register: Pick<RegisterProjector, 'entries'>,
  until: string,
  boundary: PartialDate,
  slices: Slices,
): Promise<{ entries: OccurredByEntry[]; uncertain: number; damaged: DamagedAgreement[] }> {
  const limit = Date.parse(until);
  const entries: OccurredByEntry[] = [];
  const damaged: DamagedAgreement[] = [];
  let uncertain = 0;
  for (const [key, document] of register.entries()) {
    const events: RecordedEvent[] = [];
    let last: StoredEvent | undefined;
    try {
      for await (const stored of store.readStream(`${PREFIX}${key}`)) {
        await slices.next();
        if (Date.parse(stored.recordedAt) > limit) break;
        events.push(toRecorded(stored));
        last = stored;
      }
    } catch (error) {
      if (!(error instanceof IntegrityError || error instanceof StoreCorruptError)) throw error;
      damaged.push(error.position === undefined ? { agreementId: key } : { agreementId: key, position: error.position });
      continue;
    }
    const state = rehydrate(events);
    if (!state.registration || !last) continue;
    const then = { ...documentOf(document, state), registration: state.registration, lastPosition: last.position, lastRecordedAt: last.recordedAt };
    const entry = occurredByEntry(then, asOccurredBy(state, boundary, dayOf(until)));
    if (!entry) continue;
    uncertain += entry.uncertainSteps.length;
    entries.push(entry);
  }
  return { entries, uncertain, damaged };
}

/**
 * The register row of an agreement by a date; undefined when every firm step it has came certainly
 * later (it had not begun). One with no firm step at all has nothing placing it in time: it shows.
 */
function occurredByEntry(document: RegisterDocument, view: ReturnType<typeof asOccurredBy>): OccurredByEntry | undefined {
  const begun = view.uncertain.length > 0 || view.state.steps.some((step) => !step.data.tentative);
  if (!begun && view.later > 0) return undefined;
  // Same document shape as the live register, so the row is built by the same code.
  return {
    ...registerEntry(documentOf(document, view.state)),
    uncertainSteps: view.uncertain.map((step) => ({ step: step.step, occurredOn: step.data.occurredOn, eventId: step.eventId })),
    ...possibleStatusOf(view),
  };
}

/** The status the agreement would have had the uncertain steps all happened by the boundary, when it is another one. */
export function possibleStatusOf(view: ReturnType<typeof asOccurredBy>): { possibleStatus?: string } {
  const possible = lifecycleState(view.possible);
  return possible === lifecycleState(view.state) ? {} : { possibleStatus: possible };
}

/** The UTC day (YYYY-MM-DD) of an ISO moment. */
export function dayOf(moment: string): string {
  return new Date(Date.parse(moment)).toISOString().slice(0, 10);
}
