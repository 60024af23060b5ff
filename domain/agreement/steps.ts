/**
 * The vocabulary of steps, read from the seed documents: what desk officers record (snake_case,
 * as in the API) and the past-tense domain event each one becomes (the stored type).
 *
 * `rank` orders the lifecycle for chronology: a step may not be dated certainly before an
 * earlier-recorded step of lower rank (a signature before the texts were agreed, say).
 * Meetings and referrals carry no rank: they happen alongside the lifecycle, not in it.
 */
export const STEPS = {
  exploratory_talks_held: { type: 'ExploratoryTalksHeld', rank: 1, phase: 'negotiation' },
  mandate_adopted: { type: 'NegotiatingMandateAdopted', rank: 2, phase: 'negotiation' },
  negotiations_opened: { type: 'NegotiationsOpened', rank: 3, phase: 'negotiation' },
  round_held: { type: 'NegotiationRoundHeld', rank: 4, phase: 'negotiation' },
  // "The structure of the draft submitted in October 2018", "Comments from China on draft Visa Facilitation Agreement".
  draft_exchanged: { type: 'DraftTextExchanged', rank: 4, phase: 'negotiation' },
  negotiations_stalled: { type: 'NegotiationsStalled', rank: 4, phase: 'negotiation' },
  negotiations_suspended: { type: 'NegotiationsSuspended', rank: 4, phase: 'negotiation' },
  referred_to_political_level: { type: 'ReferredToPoliticalLevel', rank: null, phase: 'negotiation' },
  negotiations_relaunched: { type: 'NegotiationsRelaunched', rank: 5, phase: 'negotiation' },
  negotiations_concluded: { type: 'NegotiationsConcluded', rank: 6, phase: 'negotiation' },
  initialled: { type: 'AgreementInitialled', rank: 7, phase: 'text' },
  signed: { type: 'AgreementSigned', rank: 8, phase: 'text' },
  submitted_for_consent: { type: 'SubmittedForConsent', rank: 9, phase: 'text' },
  consent_given: { type: 'ConsentGiven', rank: 10, phase: 'text' },
  ratified: { type: 'AgreementRatified', rank: 10, phase: 'text' },
  ratification_frozen: { type: 'RatificationFrozen', rank: 10, phase: 'text' },
  concluded: { type: 'AgreementConcluded', rank: 11, phase: 'text' },
  provisionally_applied: { type: 'ProvisionalApplicationBegan', rank: 12, phase: 'application' },
  entered_into_force: { type: 'AgreementEnteredIntoForce', rank: 13, phase: 'application' },
  suspension_announced: { type: 'SuspensionAnnounced', rank: 14, phase: 'application' },
  suspended: { type: 'AgreementSuspended', rank: 15, phase: 'application' },
  resumed: { type: 'AgreementResumed', rank: 16, phase: 'application' },
  terminated: { type: 'AgreementTerminated', rank: 17, phase: 'application' },
  superseded: { type: 'AgreementSuperseded', rank: 17, phase: 'application' },
  meeting_held: { type: 'MeetingHeld', rank: null, phase: 'implementation' },
  adopted: { type: 'InstrumentAdopted', rank: 13, phase: 'non_binding' },
  endorsed: { type: 'InstrumentEndorsed', rank: 13, phase: 'non_binding' },
  launched: { type: 'InstrumentLaunched', rank: 13, phase: 'non_binding' },
  // "The EU-India Joint Action Plan was agreed in 2005 ... and revised in 2008."
  revised: { type: 'InstrumentRevised', rank: 13, phase: 'non_binding' },
} as const;

export type StepName = keyof typeof STEPS;
export type StepEventType = (typeof STEPS)[StepName]['type'];

export const STEP_NAMES = Object.keys(STEPS) as StepName[];

export const STEP_BY_TYPE = Object.fromEntries(STEP_NAMES.map((name) => [STEPS[name].type, name])) as Record<StepEventType, StepName>;

export function isStepName(value: string): value is StepName {
  return Object.hasOwn(STEPS, value);
}

export function isStepEventType(type: string): type is StepEventType {
  return Object.hasOwn(STEP_BY_TYPE, type);
}
