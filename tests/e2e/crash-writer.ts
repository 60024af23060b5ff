/** The client side of the crash test: desk officers who note every answer they get. */

export const OFFICER = 'officer-secret-crash-012345';

export interface Command {
  key: string;
  agreement: string;
  path: string;
  body: object;
}

export interface Acknowledged extends Command {
  /** Steps only: the stored event's id as the answer gave it. */
  eventId?: string;
  /** The event's revision in its agreement's stream, and the agreement's revision the answer gave. */
  eventRevision: number;
  revision: number;
  position: number;
  replayed: boolean;
}

/** Every event a command writes carries this command id (see handle-command.ts). */
export const commandIdOf = (key: string) => `idempotency:desk:${key}`;

/**
 * One desk officer: registers two agreements, then records rounds on them, one request at a time,
 * each with its own Idempotency-Key. Keeps every acknowledged answer; a request the kill cut off
 * (no answer, or half of one) is repeated with the same key as its first request after the restart.
 */
export class Writer {
  readonly acknowledged: Acknowledged[] = [];
  /** Every command sent, by key: an event in the log must be one of them. */
  readonly sent = new Map<string, Command>();
  unanswered: Command | undefined;
  /** Requests cut off by a kill, and whether their event was in the log after the (latest such) kill. */
  readonly cutOff = new Map<string, boolean>();
  readonly failures: string[] = [];
  private sequence = 0;
  private rounds = 0;
  private readonly agreements: string[];

  constructor(readonly name: string) {
    this.agreements = [`eu-${name}-a-readmission`, `eu-${name}-b-readmission`];
  }

  private next(): Command {
    const key = `${this.name}-${++this.sequence}`;
    const unregistered = this.agreements.find((id) => !this.acknowledged.some((ack) => ack.agreement === id && ack.path === '/agreements'));
    if (unregistered) {
      return { key, agreement: unregistered, path: '/agreements', body: { id: unregistered, title: `EU-${unregistered} Agreement`, kind: 'readmission_agreement', parties: ['EU', unregistered] } };
    }
    const round = ++this.rounds;
    const agreement = this.agreements[round % 2]!;
    return { key, agreement, path: `/agreements/${agreement}/steps`, body: { step: 'round_held', occurredOn: '2024', round } };
  }

  /** Writes until the server goes away: returns once a request is left without a (whole) answer. */
  async run(url: string): Promise<void> {
    for (;;) {
      const command = this.unanswered ?? this.next();
      this.sent.set(command.key, command);
      this.unanswered = command;
      let status: number;
      let answer: { event?: { eventId: string; revision: number }; revision: number };
      let headers: Headers;
      try {
        const response = await fetch(`${url}${command.path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${OFFICER}`, 'content-type': 'application/json', 'idempotency-key': command.key },
          body: JSON.stringify(command.body),
        });
        status = response.status;
        headers = response.headers;
        answer = (await response.json()) as typeof answer;
      } catch {
        return;
      }
      this.unanswered = undefined;
      if (status !== 201) {
        this.failures.push(`${command.key}: ${status} ${JSON.stringify(answer)}`);
        return;
      }
      this.acknowledged.push({
        ...command,
        // A registration answers with the agreement (its event is revision 0); a step with its event.
        ...(answer.event ? { eventId: answer.event.eventId } : {}),
        eventRevision: answer.event?.revision ?? 0,
        revision: answer.revision,
        position: Number(headers.get('ledger-position')),
        replayed: headers.get('idempotent-replayed') === 'true',
      });
    }
  }
}
