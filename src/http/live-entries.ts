import { toRecorded } from '../application/handle-command.js';
import type { Slices } from '../application/query-budget.js';
import { agreementIdOf, damagedFrame, fullFrame, inFeed, type Audience, type ViewerFrames } from './live-frames.js';
import { isDamagedPlace, type LogItem } from './live-reading.js';
import { matches, type LiveSubscriber, type Routed } from './live-subscriber.js';

/** An event of the feed with its frame for each audience shaped so far. */
export interface Entry extends Routed {
  position: number;
  frames: Partial<Record<Audience, string | undefined>>;
}

/** The page's events in the feed, each with its frame for `audience`, giving the event loop back between slices. */
export async function shape(
  page: readonly LogItem[],
  audience: Audience,
  viewerFrames: ViewerFrames | undefined,
  registrationOf: (agreementId: string) => Routed['registration'],
  slices: Slices,
): Promise<Entry[]> {
  const entries: Entry[] = [];
  // The register may not have folded a registration of this very page yet.
  const registered = new Map<string, Routed['registration']>();
  for (const event of page) {
    await slices.next();
    if (isDamagedPlace(event)) {
      // Whose it was may be unknown (an unreadable page): then only clients without a filter get it.
      const agreementId = event.agreementId ?? '';
      const registration = event.agreementId === undefined ? undefined : (registered.get(agreementId) ?? registrationOf(agreementId));
      const text = viewerFrames ? viewerFrames.damaged(event) : damagedFrame(event.position, event);
      entries.push({ position: event.position, agreementId, registration, frames: { [audience]: text } });
      continue;
    }
    if (!inFeed(event)) continue;
    const agreementId = agreementIdOf(event);
    if (event.type === 'AgreementRegistered') {
      const registration = toRecorded(event);
      if (registration.type === 'AgreementRegistered') registered.set(agreementId, registration.data);
    }
    const registration = registered.get(agreementId) ?? registrationOf(agreementId);
    const text = viewerFrames ? await viewerFrames.frame(event) : fullFrame(event);
    entries.push({ position: event.position, agreementId, registration, frames: { [audience]: text } });
  }
  return entries;
}

/** What of `entries` goes to `subscriber`, as one write. */
export function chunkFor(entries: readonly Entry[], subscriber: LiveSubscriber): Buffer | undefined {
  let text = '';
  for (const entry of entries) {
    const frame = entry.frames[subscriber.audience];
    if (frame !== undefined && entry.position >= subscriber.next && matches(subscriber.filter, entry)) text += frame;
  }
  return text === '' ? undefined : Buffer.from(text);
}
