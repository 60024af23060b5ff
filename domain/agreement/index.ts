export * from './commands.js';
export * from './decide.js';
export * from './events.js';
export * from './kinds.js';
export { advance, agreementMachine, initialPosition, LIFECYCLE_STATES, RULES, snapshotOf, type LifecycleState, type MachineEvent, type MachinePosition } from './machine.js';
export { allowedSteps } from './rules.js';
export * from './state.js';
export * from './steps.js';
export * from './as-of.js';
