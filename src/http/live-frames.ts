import { datedStep, isStepEventType, stepOf, type AgreementState, type RecordedStep } from '../../domain/agreement/index.js';
import { toRecorded } from '../application/handle-command.js';
import type { StoredEvent } from '../event-store/port.js';
import { BoundedMap } from '../util/bounded-map.js';
import { AGREEMENT_PREFIX, isDamage, type DamagedPlace } from './live-reading.js';
import type { Role } from './tokens.js';
import { agreementView, storedEventView } from './views.js';

export { AGREEMENT_PREFIX };

/**
 * Who a frame is shaped for. Officers and auditors read the whole log elsewhere (`GET /events`),
 * so they get every event with its metadata; viewers get what the register and dashboards show.
 */
export type Audience = 'full' | 'viewer';
export const audienceOf = (role: Role): Audience => (role === 'viewer' ? 'viewer' : 'full');

const FEED_TYPES = new Set(['AgreementRegistered', 'StepCorrected', 'StepWithdrawn']);

/** Whether an event belongs in the live feed at all (for some audience). */
export const inFeed = (event: StoredEvent): boolean => FEED_TYPES.has(event.type) || isStepEventType(event.type);

export const agreementIdOf = (event: StoredEvent): string => event.stream.slice(AGREEMENT_PREFIX.length);

const frame = (position: number, name: string, payload: unknown) => `id: ${position}\nevent: ${name}\ndata: ${JSON.stringify(payload)}\n\n`;

/** An officer's or auditor's frame: the event as `GET /events` shows it. */
export function fullFrame(event: StoredEvent): string {
  return frame(event.position, event.type, { agreementId: agreementIdOf(event), ...storedEventView(event) });
}

/**
 * An event the feed skips because its data is damaged, for every role: what GET /agreements/{id}
 * answers about it too (where, and the problem's code). `id` is where the feed is in the log;
 * `position` is the damaged event's.
 */
export function damagedFrame(at: number, place: Omit<DamagedPlace, 'damaged' | 'position'> & { position: number | undefined }): string {
  return frame(at, 'damaged', { agreementId: place.agreementId, position: place.position, code: place.code });
}

/** An agreement as it stands, at its stream revision (what `CommandHandler.load` answers). */
export interface CurrentAgreement {
  state: AgreementState;
  revision: number;
}

interface Known {
  revision: number;
  /** Its stream cannot be read: its events are skipped. */
  damaged?: true;
  /** Its corrected or withdrawn steps; any other step stands as recorded. */
  changed: Map<string, RecordedStep>;
}

/**
 * Viewers' frames. A registration as it was recorded; a step as the dashboards show it (the
 * calendar's fields, corrections applied), never one that has been withdrawn; a correction or a
 * withdrawal as an `agreement` frame carrying the agreement as `GET /agreements/{id}` shows it now.
 * No metadata, no reasons, no earlier versions: nothing a viewer cannot read elsewhere.
 *
 * A step is shaped from the agreement as it stood when the feed looked, never from an older state,
 * so a client resuming from an old position gets the history as it stands; what changes after
 * that look comes as a later frame. `follows`: the caller passes every event of each agreement in
 * order (the shared feed), so a step right after the last one looked at is as recorded; a catch-up
 * looks again instead.
 */
export class ViewerFrames {
  private readonly known = new BoundedMap<string, Known>(100_000, (known) => 1 + known.changed.size);

  constructor(
    private readonly load: (agreementId: string) => Promise<CurrentAgreement>,
    private readonly follows: boolean,
    private readonly today: () => string,
  ) {}

  /** `event`'s frame; an agreement whose stream is damaged gets one `damaged` frame, then nothing. */
  async frame(event: StoredEvent): Promise<string | undefined> {
    const agreementId = agreementIdOf(event);
    if (this.known.get(agreementId)?.damaged) return undefined;
    try {
      return await this.shaped(event, agreementId);
    } catch (error) {
      if (!isDamage(error)) throw error;
      this.known.set(agreementId, { revision: Number.POSITIVE_INFINITY, changed: new Map(), damaged: true });
      return damagedFrame(event.position, { agreementId, position: error.position, code: error.code });
    }
  }

  /** A damaged place of the log: its frame, unless its agreement was already said to be damaged. */
  damaged(place: DamagedPlace): string | undefined {
    if (place.agreementId !== undefined) {
      if (this.known.get(place.agreementId)?.damaged) return undefined;
      this.known.set(place.agreementId, { revision: Number.POSITIVE_INFINITY, changed: new Map(), damaged: true });
    }
    return damagedFrame(place.position, place);
  }

  private async shaped(event: StoredEvent, agreementId: string): Promise<string | undefined> {
    const { position, type } = event;
    if (type === 'AgreementRegistered') {
      // A first registration has no steps yet; any later one is looked at afresh.
      if (event.revision === 0) this.known.set(agreementId, { revision: 0, changed: new Map() });
      else this.known.delete(agreementId);
      return frame(position, type, { agreementId, eventId: event.id, position, data: event.data });
    }
    if (isStepEventType(type)) {
      const step = (await this.knownAt(agreementId, event.revision)).changed.get(event.id) ?? stepOf(toRecorded(event));
      if (step.withdrawn) return undefined;
      const shown = datedStep(step);
      return frame(position, type, { agreementId, position, ...shown });
    }
    if (type === 'StepCorrected' || type === 'StepWithdrawn') {
      const current = await this.look(agreementId);
      if (!current.state.registration) return undefined;
      return frame(position, 'agreement', { agreementId, position, agreement: agreementView(current.state, current.revision, this.today()) });
    }
    return undefined;
  }

  private async knownAt(agreementId: string, revision: number): Promise<Known> {
    const known = this.known.get(agreementId);
    if (known && known.revision >= revision) return known;
    if (known && this.follows && known.revision === revision - 1) {
      known.revision = revision;
      return known;
    }
    await this.look(agreementId);
    return this.known.get(agreementId) ?? { revision, changed: new Map() };
  }

  private async look(agreementId: string): Promise<CurrentAgreement> {
    const current = await this.load(agreementId);
    const changed = new Map(current.state.steps.filter((step) => step.withdrawn || step.corrections.length > 0).map((step) => [step.eventId, step]));
    this.known.set(agreementId, { revision: current.revision, changed });
    return current;
  }
}
