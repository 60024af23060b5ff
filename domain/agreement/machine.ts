import { assign, setup, type SnapshotFrom } from 'xstate';
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

export type Guard = 'isBinding' | 'isNonBinding' | 'roundIncreases' | 'entryIntoForceWasPartial' | 'resumesProvisional' | 'resumesInPlace';
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

/** One transition of the table: from a state, on an event type, guarded, to a state or staying. */
interface CompiledTransition {
  to?: LifecycleState;
  guard?: Guard;
  /** Registration sets the binding flag; every step remembers its round and scope. */
  action: 'register' | 'remember';
  /** Suspending remembers where a resumption returns to. */
  resumeTo?: AgreementContext['resumeTo'];
}

/** RULES unrolled per state and event type, in rule order: the one table both the xstate machine and `advance` are built from. */
const TABLE: Record<string, Record<string, CompiledTransition[]>> = (() => {
  const table: Record<string, Record<string, CompiledTransition[]>> = {};
  for (const state of LIFECYCLE_STATES) table[state] = {};
  table.unregistered!.AgreementRegistered = [{ to: 'draft', action: 'register' }];
  for (const [step, rules] of Object.entries(RULES) as Array<[StepName, Rule[]]>) {
    const type = STEPS[step].type;
    for (const rule of rules) {
      for (const from of rule.from) {
        const suspends = rule.to === 'suspended' || rule.to === 'suspension_announced';
        const resumeTo = suspends && from !== 'suspension_announced' ? (from as AgreementContext['resumeTo']) : undefined;
        (table[from]![type] ??= []).push({
          ...(rule.to ? { to: rule.to } : {}),
          ...(rule.guard ? { guard: rule.guard } : {}),
          action: 'remember',
          ...(resumeTo ? { resumeTo } : {}),
        });
      }
    }
  }
  return table;
})();

/** The guards as plain predicates: xstate calls them through `setup`, `advance` directly. */
const GUARDS: Record<Guard, (context: AgreementContext, event: MachineEvent) => boolean> = {
  isBinding: (context) => context.binding,
  isNonBinding: (context) => !context.binding,
  roundIncreases: (context, event) => {
    const round = (event.data as StepData).round;
    return round === undefined || context.lastRound === null || round > context.lastRound;
  },
  entryIntoForceWasPartial: (context) => context.partialEntryIntoForce,
  resumesProvisional: (context) => context.resumeTo === 'provisionally_applied',
  resumesInPlace: (context) => context.resumeTo === 'in_place',
};

/** What a step leaves in the context. Returns the same object when nothing changes. */
function remember(context: AgreementContext, event: MachineEvent): AgreementContext {
  const data = event.data as StepData;
  const lastRound = data.round !== undefined && event.type === 'NegotiationRoundHeld' ? data.round : context.lastRound;
  const partialEntryIntoForce = event.type === 'AgreementEnteredIntoForce' ? data.scope !== undefined : context.partialEntryIntoForce;
  if (lastRound === context.lastRound && partialEntryIntoForce === context.partialEntryIntoForce) return context;
  return withContext(context.binding, lastRound, partialEntryIntoForce, context.resumeTo);
}

/**
 * A context written out field by field, in the initial context's key order: a replay makes one per
 * numbered round, and a spread of a context parsed from a stored document (another hidden class
 * each time) cost 5% of a register rebuild.
 */
function withContext(binding: boolean, lastRound: number | null, partialEntryIntoForce: boolean, resumeTo: AgreementContext['resumeTo']): AgreementContext {
  return { binding, lastRound, partialEntryIntoForce, resumeTo };
}

function buildStates() {
  const states: Record<string, { type?: 'final'; on: Record<string, unknown[]> }> = {};
  for (const [state, on] of Object.entries(TABLE)) {
    states[state] = { on: {} };
    for (const [type, transitions] of Object.entries(on)) {
      states[state]!.on[type] = transitions.map((t) => ({
        ...(t.to ? { target: t.to } : {}),
        ...(t.guard ? { guard: t.guard } : {}),
        actions: [t.action, ...(t.resumeTo ? [{ type: 'rememberWhereToResume', params: { to: t.resumeTo } }] : [])],
      }));
    }
  }
  states.terminated!.type = 'final';
  states.superseded!.type = 'final';
  return states;
}

export const agreementMachine = setup({
  types: {} as { context: AgreementContext; events: MachineEvent },
  guards: {
    isBinding: ({ context, event }) => GUARDS.isBinding(context, event),
    isNonBinding: ({ context, event }) => GUARDS.isNonBinding(context, event),
    roundIncreases: ({ context, event }) => GUARDS.roundIncreases(context, event),
    entryIntoForceWasPartial: ({ context, event }) => GUARDS.entryIntoForceWasPartial(context, event),
    resumesProvisional: ({ context, event }) => GUARDS.resumesProvisional(context, event),
    resumesInPlace: ({ context, event }) => GUARDS.resumesInPlace(context, event),
  },
  actions: {
    register: assign({ binding: ({ event }) => (event.data as AgreementRegisteredData).binding }),
    remember: assign(({ context, event }) => remember(context, event)),
    rememberWhereToResume: assign((_, params: { to: AgreementContext['resumeTo'] }) => ({ resumeTo: params.to })),
  },
}).createMachine({
  id: 'agreement',
  initial: 'unregistered',
  context: { binding: true, lastRound: null, partialEntryIntoForce: false, resumeTo: 'in_force' },
  // The table above is the single source of truth; xstate's config types cannot follow a generated object.
  states: buildStates() as never,
});

/**
 * Where the machine stands: its state and context, plain data. This is what folds carry and read
 * models store; an xstate snapshot is made from it only when a decision needs one (`snapshotOf`).
 */
export interface MachinePosition {
  value: LifecycleState;
  context: AgreementContext;
}

export const initialPosition: MachinePosition = {
  value: 'unregistered',
  context: { binding: true, lastRound: null, partialEntryIntoForce: false, resumeTo: 'in_force' },
};

/**
 * The machine's next position after an event, or undefined when it refuses the event: the same
 * answer as xstate's `transition()` (tests/domain/machine-equivalence.test.ts checks every state,
 * event and guard outcome), read off the table at a fraction of the cost. Replaying logs (read
 * models, cold loads, corrections) takes this path; decisions about new steps ask xstate.
 */
export function advance(position: MachinePosition, event: MachineEvent): MachinePosition | undefined {
  const candidates = TABLE[position.value]![event.type];
  if (!candidates) return undefined;
  for (const transition of candidates) {
    if (transition.guard && !GUARDS[transition.guard](position.context, event)) continue;
    const from = position.context;
    let context =
      transition.action === 'register'
        ? withContext((event.data as AgreementRegisteredData).binding, from.lastRound, from.partialEntryIntoForce, from.resumeTo)
        : remember(from, event);
    if (transition.resumeTo && context.resumeTo !== transition.resumeTo) {
      context = withContext(context.binding, context.lastRound, context.partialEntryIntoForce, transition.resumeTo);
    }
    const value = transition.to ?? position.value;
    return value === position.value && context === position.context ? position : { value, context };
  }
  return undefined;
}

const snapshots = new WeakMap<MachinePosition, SnapshotFrom<typeof agreementMachine>>();

/** The xstate snapshot at a position, made once per position (`resolveState`, about 4 µs). */
export function snapshotOf(position: MachinePosition): SnapshotFrom<typeof agreementMachine> {
  let snapshot = snapshots.get(position);
  if (!snapshot) {
    snapshot = agreementMachine.resolveState({ value: position.value, context: position.context });
    snapshots.set(position, snapshot);
  }
  return snapshot;
}
