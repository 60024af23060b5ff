import { assign, setup } from 'xstate';
import type { AgreementRegisteredData, StepData } from './events.js';
import { STEPS, type StepEventType, type StepName } from './steps.js';

/**
 * The lifecycle of an agreement as an xstate machine whose events are the domain events.
 *
 * Real histories are sparse (Belarus readmission: a final round, texts agreed, entry into force,
 * nothing between), so a step may skip any number of earlier ones; but the lifecycle never runs
 * backwards. Reversible states are real states: stalled or suspended negotiations, ratification
 * frozen, provisional application, suspension. `assign` and pure guards only.
 */

export const LIFECYCLE_STATES = [
  'unregistered',
  'draft',
  'exploring',
  'mandated',
  'negotiating',
  'negotiations_stalled',
  'negotiations_suspended',
  'negotiations_concluded',
  'initialled',
  'signed',
  'ratifying',
  'ratification_frozen',
  'concluded',
  'provisionally_applied',
  'in_force',
  'suspension_announced',
  'suspended',
  'in_place',
  'terminated',
  'superseded',
] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

export interface AgreementContext {
  binding: boolean;
  lastRound: number | null;
  /** The last entry into force covered only part of the agreement (EU-Turkey: in stages). */
  partialEntryIntoForce: boolean;
  /** Where a suspended agreement returns when resumed. */
  resumeTo: 'in_force' | 'provisionally_applied' | 'in_place';
}

export type MachineEvent =
  | { type: 'AgreementRegistered'; data: AgreementRegisteredData }
  | { type: StepEventType; data: StepData };

type Guard = 'isBinding' | 'isNonBinding' | 'roundIncreases' | 'entryIntoForceWasPartial' | 'resumesProvisional' | 'resumesInPlace';
interface Rule {
  from: readonly LifecycleState[];
  /** Omitted: the step is recorded and the state stays (a meeting, a second signature). */
  to?: LifecycleState;
  guard?: Guard;
}

const NEGOTIATING = ['draft', 'exploring', 'mandated', 'negotiating'] as const;
const NEGOTIATION_PAUSED = ['negotiations_stalled', 'negotiations_suspended'] as const;
/**
 * Where a step beyond negotiation may come from. A paused negotiation is among them: texts agreed
 * or a signature after a stall tell of a relaunch nobody dated. More rounds need a recorded relaunch.
 */
const NEGOTIATION_ANY = [...NEGOTIATING, ...NEGOTIATION_PAUSED] as const;
const BEFORE_SIGNATURE = [...NEGOTIATION_ANY, 'negotiations_concluded', 'initialled'] as const;
const RATIFYING = [...BEFORE_SIGNATURE, 'signed', 'ratifying', 'ratification_frozen'] as const;
const APPLIED = ['provisionally_applied', 'in_force', 'in_place'] as const;
const NOT_ENDED = LIFECYCLE_STATES.filter((state) => !['unregistered', 'terminated', 'superseded'].includes(state));

/** Which step may be recorded from which state, and where it leads. Order matters within a step. */
export const RULES: Record<StepName, Rule[]> = {
  exploratory_talks_held: [{ from: ['draft', 'exploring'], to: 'exploring' }],
  mandate_adopted: [{ from: ['draft', 'exploring', 'mandated'], to: 'mandated' }],
  negotiations_opened: [{ from: ['draft', 'exploring', 'mandated'], to: 'negotiating' }],
  round_held: [{ from: NEGOTIATING, to: 'negotiating', guard: 'roundIncreases' }],
  draft_exchanged: [{ from: NEGOTIATING, to: 'negotiating' }],
  negotiations_stalled: [{ from: NEGOTIATING, to: 'negotiations_stalled' }],
  negotiations_suspended: [{ from: [...NEGOTIATING, 'negotiations_stalled'], to: 'negotiations_suspended' }],
  referred_to_political_level: [{ from: NEGOTIATION_ANY }],
  // From `negotiating` too: a relaunch tells of a stall nobody dated (Morocco: "after several years of stalemate").
  negotiations_relaunched: [{ from: NEGOTIATION_ANY, to: 'negotiating' }],
  negotiations_concluded: [{ from: NEGOTIATION_ANY, to: 'negotiations_concluded' }],
  initialled: [{ from: [...NEGOTIATION_ANY, 'negotiations_concluded'], to: 'initialled' }],
  signed: [{ from: [...BEFORE_SIGNATURE, 'signed'], to: 'signed' }],
  submitted_for_consent: [
    { from: RATIFYING, to: 'ratifying', guard: 'isBinding' },
    { from: ['provisionally_applied'], guard: 'isBinding' },
  ],
  consent_given: [
    { from: RATIFYING, to: 'ratifying', guard: 'isBinding' },
    { from: ['provisionally_applied'], guard: 'isBinding' },
  ],
  ratified: [
    { from: RATIFYING, to: 'ratifying', guard: 'isBinding' },
    { from: ['provisionally_applied'], guard: 'isBinding' },
  ],
  ratification_frozen: [{ from: [...BEFORE_SIGNATURE, 'signed', 'ratifying'], to: 'ratification_frozen', guard: 'isBinding' }],
  concluded: [
    { from: RATIFYING, to: 'concluded', guard: 'isBinding' },
    { from: ['provisionally_applied'], guard: 'isBinding' },
  ],
  provisionally_applied: [{ from: [...RATIFYING, 'concluded'], to: 'provisionally_applied', guard: 'isBinding' }],
  entered_into_force: [
    { from: [...RATIFYING, 'concluded', 'provisionally_applied'], to: 'in_force', guard: 'isBinding' },
    { from: ['in_force'], guard: 'entryIntoForceWasPartial' },
  ],
  suspension_announced: [{ from: APPLIED, to: 'suspension_announced' }],
  suspended: [{ from: [...APPLIED, 'suspension_announced'], to: 'suspended' }],
  resumed: [
    { from: ['suspended'], to: 'provisionally_applied', guard: 'resumesProvisional' },
    { from: ['suspended'], to: 'in_place', guard: 'resumesInPlace' },
    { from: ['suspended'], to: 'in_force' },
  ],
  terminated: [{ from: NOT_ENDED, to: 'terminated' }],
  superseded: [{ from: NOT_ENDED, to: 'superseded' }],
  meeting_held: [{ from: NOT_ENDED }],
  adopted: [{ from: [...BEFORE_SIGNATURE, 'signed', 'in_place'], to: 'in_place', guard: 'isNonBinding' }],
  endorsed: [{ from: [...BEFORE_SIGNATURE, 'signed', 'in_place'], to: 'in_place', guard: 'isNonBinding' }],
  launched: [{ from: [...BEFORE_SIGNATURE, 'signed', 'in_place'], to: 'in_place', guard: 'isNonBinding' }],
  revised: [{ from: ['in_place'], guard: 'isNonBinding' }],
};

function buildStates() {
  const states: Record<string, { type?: 'final'; on: Record<string, unknown[]> }> = {};
  for (const state of LIFECYCLE_STATES) states[state] = { on: {} };
  states.unregistered!.on.AgreementRegistered = [{ target: 'draft', actions: 'register' }];
  for (const [step, rules] of Object.entries(RULES) as Array<[StepName, Rule[]]>) {
    const type = STEPS[step].type;
    for (const rule of rules) {
      for (const from of rule.from) {
        const actions: unknown[] = ['remember'];
        if (rule.to === 'suspended' || rule.to === 'suspension_announced') {
          const resumeTo = from === 'suspension_announced' ? undefined : from;
          if (resumeTo) actions.push({ type: 'rememberWhereToResume', params: { to: resumeTo } });
        }
        const transition = { ...(rule.to ? { target: rule.to } : {}), ...(rule.guard ? { guard: rule.guard } : {}), actions };
        (states[from]!.on[type] ??= []).push(transition);
      }
    }
  }
  states.terminated!.type = 'final';
  states.superseded!.type = 'final';
  return states;
}

export const agreementMachine = setup({
  types: {} as { context: AgreementContext; events: MachineEvent },
  guards: {
    isBinding: ({ context }) => context.binding,
    isNonBinding: ({ context }) => !context.binding,
    roundIncreases: ({ context, event }) => {
      const round = (event.data as StepData).round;
      return round === undefined || context.lastRound === null || round > context.lastRound;
    },
    entryIntoForceWasPartial: ({ context }) => context.partialEntryIntoForce,
    resumesProvisional: ({ context }) => context.resumeTo === 'provisionally_applied',
    resumesInPlace: ({ context }) => context.resumeTo === 'in_place',
  },
  actions: {
    register: assign({ binding: ({ event }) => (event.data as AgreementRegisteredData).binding }),
    remember: assign(({ context, event }) => {
      const data = event.data as StepData;
      return {
        lastRound: data.round !== undefined && event.type === 'NegotiationRoundHeld' ? data.round : context.lastRound,
        partialEntryIntoForce: event.type === 'AgreementEnteredIntoForce' ? data.scope !== undefined : context.partialEntryIntoForce,
      };
    }),
    rememberWhereToResume: assign((_, params: { to: AgreementContext['resumeTo'] }) => ({ resumeTo: params.to })),
  },
}).createMachine({
  id: 'agreement',
  initial: 'unregistered',
  context: { binding: true, lastRound: null, partialEntryIntoForce: false, resumeTo: 'in_force' },
  // The table above is the single source of truth; xstate's config types cannot follow a generated object.
  states: buildStates() as never,
});
