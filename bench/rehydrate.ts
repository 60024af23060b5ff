import { initialTransition, transition } from 'xstate';
import {
  agreementMachine, rehydrate, STEPS, type AgreementEvent, type MachineEvent, type RecordedEvent,
} from '../domain/agreement/index.js';
import { isMain, paired, printTable, type Figure } from './harness.js';

/**
 * Rebuilding one agreement from a 1,000-event stream: our cold rebuild against a pure xstate
 * `transition()` fold and a plain hand-written reducer over the same events, in the same run.
 */
export function agreementHistory(length: number): RecordedEvent[] {
  const events: AgreementEvent[] = [
    { type: 'AgreementRegistered', data: { agreementId: 'eu-bench-readmission', title: 'EU-Bench', kind: 'readmission_agreement', binding: true, parties: ['EU', 'Bench'], links: {} } },
    { type: STEPS.negotiations_opened.type, data: { occurredOn: '2001-01' } },
  ];
  const rounds = Math.floor((length - 5) * 0.6);
  for (let round = 1; round <= rounds; round++) events.push({ type: STEPS.round_held.type, data: { occurredOn: '2002', round, location: 'Brussels' } });
  events.push({ type: STEPS.negotiations_concluded.type, data: { occurredOn: '2003' } });
  events.push({ type: STEPS.signed.type, data: { occurredOn: '2004' } });
  events.push({ type: STEPS.entered_into_force.type, data: { occurredOn: '2005' } });
  while (events.length < length) events.push({ type: STEPS.meeting_held.type, data: { occurredOn: '2006', body: 'Joint Readmission Committee' } });
  return events.map((event, index) => ({ ...event, id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}` }) as RecordedEvent);
}

/** What a team without a state machine would write: a switch over event types. */
function plainReducer(events: RecordedEvent[]): { state: string; lastRound: number | null } {
  let folded = { state: 'unregistered', lastRound: null as number | null };
  for (const event of events) {
    switch (event.type) {
      case 'AgreementRegistered': folded = { ...folded, state: 'draft' }; break;
      case 'NegotiationsOpened': folded = { ...folded, state: 'negotiating' }; break;
      case 'NegotiationRoundHeld': folded = { state: 'negotiating', lastRound: event.data.round ?? folded.lastRound }; break;
      case 'NegotiationsConcluded': folded = { ...folded, state: 'negotiations_concluded' }; break;
      case 'AgreementSigned': folded = { ...folded, state: 'signed' }; break;
      case 'AgreementEnteredIntoForce': folded = { ...folded, state: 'in_force' }; break;
      default: break;
    }
  }
  return folded;
}

function pureTransitionFold(events: RecordedEvent[]) {
  let snapshot = initialTransition(agreementMachine)[0];
  for (const event of events) snapshot = transition(agreementMachine, snapshot, event as unknown as MachineEvent)[0];
  return snapshot;
}

function timed(repeat: number, events: RecordedEvent[], fold: (events: RecordedEvent[]) => unknown): number {
  const started = performance.now();
  for (let i = 0; i < repeat; i++) fold(events);
  return (repeat * events.length) / ((performance.now() - started) / 1000);
}

export async function runRehydrateBench(options: { quick: boolean }): Promise<Figure[]> {
  const events = agreementHistory(1000);
  const ours = rehydrate(events);
  if (ours.machine.value !== 'in_force' || ours.anomalies.length > 0 || pureTransitionFold(events).value !== 'in_force' || plainReducer(events).state !== 'in_force') {
    throw new Error('the three folds disagree on the bench history');
  }
  const rounds = options.quick ? 5 : 9;
  const repeat = options.quick ? 5 : 20;
  const vsTransition = await paired(rounds, () => timed(Math.max(1, repeat / 5), events, pureTransitionFold), () => timed(repeat, events, rehydrate));
  const vsReducer = await paired(rounds, () => timed(repeat * 20, events, plainReducer), () => timed(repeat, events, rehydrate));
  const name = 'cold rebuild, 1,000-event agreement';
  return [
    { name, unit: 'events/s', ...vsTransition, baselineName: "xstate pure transition() fold", target: '>= 2.00x', met: vsTransition.ratio >= 2, rounds },
    { name, unit: 'events/s', ...vsReducer, baselineName: 'plain switch reducer', target: 'reported', rounds },
  ];
}

if (isMain(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  printTable('Rehydration (median of paired rounds)', await runRehydrateBench({ quick }));
}
