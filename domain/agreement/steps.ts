/**
 * The vocabulary of steps, read from the seed documents: what desk officers record (snake_case,
 * as in the API) and the past-tense domain event each one becomes (the stored type).
 *
 * `rank` orders steps whose dates overlap on the world's timeline (see `foldTimeline`): a stall
 * of "2018" comes after the rounds of November 2018, a signature after the initialling of the
 * same month. Meetings and referrals carry no rank: they happen alongside the lifecycle.
 */
export const STEPS = {
  exploratory_talks_held: { type: 'ExploratoryTalksHeld', rank: 1, phase: 'negotiation' },
  mandate_adopted: { type: 'NegotiatingMandateAdopted', rank: 2, phase: 'negotiation' },
  negotiations_opened: { type: 'NegotiationsOpened', rank: 3, phase: 'negotiation' },
  round_held: { type: 'NegotiationRoundHeld', rank: 4, phase: 'negotiation' },
  // "The structure of the draft submitted in October 2018", "Comments from China on draft Visa Facilitation Agreement".
  draft_exchanged: { type: 'DraftTextExchanged', rank: 4, phase: 'negotiation' },
  negotiations_stalled: { type: 'NegotiationsStalled', rank: 5, phase: 'negotiation' },
  negotiations_suspended: { type: 'NegotiationsSuspended', rank: 5, phase: 'negotiation' },
  referred_to_political_level: { type: 'ReferredToPoliticalLevel', rank: null, phase: 'negotiation' },
  negotiations_relaunched: { type: 'NegotiationsRelaunched', rank: 6, phase: 'negotiation' },
  negotiations_concluded: { type: 'NegotiationsConcluded', rank: 7, phase: 'negotiation' },
  initialled: { type: 'AgreementInitialled', rank: 8, phase: 'text' },
  signed: { type: 'AgreementSigned', rank: 9, phase: 'text' },
  submitted_for_consent: { type: 'SubmittedForConsent', rank: 10, phase: 'text' },
  consent_given: { type: 'ConsentGiven', rank: 11, phase: 'text' },
  ratified: { type: 'AgreementRatified', rank: 11, phase: 'text' },
  ratification_frozen: { type: 'RatificationFrozen', rank: 11, phase: 'text' },
  concluded: { type: 'AgreementConcluded', rank: 12, phase: 'text' },
  provisionally_applied: { type: 'ProvisionalApplicationBegan', rank: 13, phase: 'application' },
  entered_into_force: { type: 'AgreementEnteredIntoForce', rank: 14, phase: 'application' },
  suspension_announced: { type: 'SuspensionAnnounced', rank: 15, phase: 'application' },
  suspended: { type: 'AgreementSuspended', rank: 16, phase: 'application' },
  resumed: { type: 'AgreementResumed', rank: 17, phase: 'application' },
  terminated: { type: 'AgreementTerminated', rank: 18, phase: 'application' },
  superseded: { type: 'AgreementSuperseded', rank: 18, phase: 'application' },
  meeting_held: { type: 'MeetingHeld', rank: null, phase: 'implementation' },
  adopted: { type: 'InstrumentAdopted', rank: 14, phase: 'non_binding' },
  endorsed: { type: 'InstrumentEndorsed', rank: 14, phase: 'non_binding' },
  launched: { type: 'InstrumentLaunched', rank: 14, phase: 'non_binding' },
  // "The EU-India Joint Action Plan was agreed in 2005 ... and revised in 2008."
  revised: { type: 'InstrumentRevised', rank: 14, phase: 'non_binding' },
} as const;

export type StepName = keyof typeof STEPS;
export type StepEventType = (typeof STEPS)[StepName]['type'];

export const STEP_NAMES = Object.keys(STEPS) as StepName[];

export const STEP_BY_TYPE = Object.fromEntries(STEP_NAMES.map((name) => [STEPS[name].type, name])) as Record<StepEventType, StepName>;


export function isStepEventType(type: string): type is StepEventType {
  return Object.hasOwn(STEP_BY_TYPE, type);
}
