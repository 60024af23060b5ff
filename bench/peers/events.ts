import { randomUUID } from 'node:crypto';

/**
 * (A type, not an interface: our port's JSON types need its index-signature compatibility.)
 * The events both stores are given: the same objects, the same stream names, the same JSON
 * (the shape bench/store.ts appends: a negotiation round with its metadata).
 */
export type BenchEvent = {
  type: 'NegotiationRoundHeld';
  data: {
    agreementId: string;
    round: number;
    occurredOn: { kind: string; value: string };
    location: string;
    note: string;
    source: string;
  };
  metadata: { actor: string; commandId: string; correlationId: string };
};

export function stepEvent(i: number): BenchEvent {
  return {
    type: 'NegotiationRoundHeld',
    data: {
      agreementId: `eu-partner-${i % 100}-readmission`,
      round: i,
      occurredOn: { kind: 'day', value: '2019-03-26' },
      location: 'Brussels',
      note: 'Round of negotiations held on the remaining articles of the draft text.',
      source: '004:1594',
    },
    metadata: { actor: 'alice', commandId: randomUUID(), correlationId: randomUUID() },
  };
}

export const stepEvents = (count: number, from = 0): BenchEvent[] => Array.from({ length: count }, (_, i) => stepEvent(from + i));
