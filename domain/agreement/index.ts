export * from './commands.js';
export * from './decide.js';
export * from './events.js';
export * from './kinds.js';
export { agreementMachine, LIFECYCLE_STATES, RULES, type LifecycleState, type MachineEvent } from './machine.js';
export { allowedSteps } from './rules.js';
export * from './state.js';
export * from './steps.js';
export * from './as-of.js';
