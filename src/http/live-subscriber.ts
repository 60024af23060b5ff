import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { Audience } from './live-frames.js';

/** How far a client may fall behind (bytes written for it that its socket has not taken) before it is cut. */
export const MAX_BEHIND_BYTES = 16 * 2 ** 20;
/** How long a client's socket may stay full before it is cut: it is not reading. */
export const STALL_CUT_MS = 30_000;
/** On shutdown, how long a feed may take to flush its end before it is cut (a client that reads nothing never takes it). */
const SHUTDOWN_GRACE_MS = 1000;

/** What a client asked to follow; partner and kind compare without case. */
export interface LiveFilter {
  agreement?: string | undefined;
  partner?: string | undefined;
  kind?: string | undefined;
}

/** What the feed knows of an event before choosing who gets it. */
export interface Routed {
  agreementId: string;
  registration: { kind: string; parties: readonly string[] } | undefined;
}

export function matches(filter: LiveFilter, event: Routed): boolean {
  if (filter.agreement !== undefined && event.agreementId !== filter.agreement) return false;
  if (filter.partner === undefined && filter.kind === undefined) return true;
  const registration = event.registration;
  if (!registration) return false;
  if (filter.kind !== undefined && registration.kind !== filter.kind) return false;
  const partner = filter.partner?.toLowerCase();
  return partner === undefined || registration.parties.some((party) => party.toLowerCase() === partner);
}

/**
 * One client of the live feed. The feed never waits for it: what its socket cannot take at once
 * is queued here (the same buffers every subscriber of the same audience and filter shares), and
 * a client that falls too far behind, or whose socket stays full too long, is cut. It reconnects
 * with Last-Event-ID and catches up from the log, at its own pace.
 */
export class LiveSubscriber {
  /** The next position it needs: everything before it was sent (or did not concern it). */
  next: number;
  /** Subscribers with the same key get the same bytes for the same events. */
  readonly key: string;
  /** Resolves once the response is gone, however it ended. */
  readonly done: Promise<void>;
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private stall: NodeJS.Timeout | undefined;
  private emptied: Array<() => void> = [];
  private gone = false;
  private ending = false;

  constructor(
    private readonly raw: ServerResponse,
    readonly audience: Audience,
    readonly filter: LiveFilter,
    after: number,
    private readonly log: FastifyBaseLogger,
  ) {
    this.next = after + 1;
    this.key = JSON.stringify([audience, filter.agreement, filter.partner?.toLowerCase(), filter.kind]);
    this.done = new Promise((resolve) => raw.once('close', () => {
      this.gone = true;
      clearTimeout(this.stall);
      this.queue.length = 0;
      this.wakeEmptied();
      resolve();
    }));
    raw.on('drain', () => this.flush());
  }

  get closed(): boolean {
    return this.gone || this.raw.destroyed || this.raw.writableEnded;
  }

  /** Writes now if the socket takes it, queues it otherwise; never waits. */
  send(chunk: Buffer): void {
    if (this.closed || this.ending) return;
    if (this.queue.length === 0 && this.stall === undefined) {
      if (!this.raw.write(chunk)) this.stalled();
      return;
    }
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (this.queued > MAX_BEHIND_BYTES) this.cut(`more than ${MAX_BEHIND_BYTES / 2 ** 20} MiB behind`);
  }

  /** Resolves when everything sent so far is with the socket (or the client is gone): a catch-up's backpressure. */
  drained(): Promise<void> {
    if (this.closed || (this.queue.length === 0 && this.stall === undefined)) return Promise.resolve();
    return new Promise((resolve) => this.emptied.push(resolve));
  }

  /** Ends the response once what is queued is flushed; cut after a grace if the client is not reading. */
  end(): Promise<void> {
    if (this.gone) return Promise.resolve();
    this.ending = true;
    // Ended with data still unsent, a response counts as done and the server closes it as idle.
    const finish = () => {
      if (!this.closed) this.raw.end();
    };
    if (this.queue.length === 0 && this.stall === undefined) finish();
    else this.emptied.push(finish);
    const timer = setTimeout(() => {
      this.log.warn('live feed cut at shutdown: its client was not reading');
      this.raw.destroy();
    }, SHUTDOWN_GRACE_MS);
    return this.done.then(() => clearTimeout(timer));
  }

  private stalled(): void {
    this.stall = setTimeout(() => this.cut(`its socket stayed full for ${STALL_CUT_MS / 1000} s`), STALL_CUT_MS);
  }

  private flush(): void {
    clearTimeout(this.stall);
    this.stall = undefined;
    while (this.queue.length > 0 && !this.closed) {
      const chunk = this.queue.shift()!;
      this.queued -= chunk.length;
      if (!this.raw.write(chunk)) return this.stalled();
    }
    this.wakeEmptied();
  }

  private cut(reason: string): void {
    this.log.warn({ next: this.next }, `live feed cut: its client was not reading (${reason})`);
    this.raw.destroy();
  }

  private wakeEmptied(): void {
    for (const wake of this.emptied.splice(0)) wake();
  }
}
