import type { FastifyBaseLogger } from 'fastify';

export interface AuthThrottleOptions {
  /** Failed authentications one address may make in a window; past them, its tokens wait for the window's end. */
  maxFailures?: number;
  /** The window's length, counted from an address's first failure in it. */
  windowMs?: number;
  /** Addresses tracked at once; past it the oldest window is reported and forgotten. */
  maxAddresses?: number;
  /** The clock, in milliseconds; tests pass their own. */
  now?: () => number;
}

export const AUTH_THROTTLE_DEFAULTS = { maxFailures: 10, windowMs: 60_000, maxAddresses: 10_000 } as const;

interface Tally {
  since: number;
  failures: number;
  /** Requests answered 429 without their token being checked. */
  refused: number;
}

/**
 * Failed authentications per client address, in fixed windows. Only failures count, so officers'
 * pace is never limited; an address past its failures gets its tokens checked again when the
 * window ends. Each window an address used is reported in one log line when it ends (or when the
 * app closes), instead of one line per guess.
 */
export class AuthThrottle {
  private readonly tallies = new Map<string, Tally>();
  readonly maxFailures: number;
  readonly windowMs: number;
  private readonly maxAddresses: number;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly logger: FastifyBaseLogger,
    options: AuthThrottleOptions = {},
  ) {
    this.maxFailures = options.maxFailures ?? AUTH_THROTTLE_DEFAULTS.maxFailures;
    this.windowMs = options.windowMs ?? AUTH_THROTTLE_DEFAULTS.windowMs;
    this.maxAddresses = options.maxAddresses ?? AUTH_THROTTLE_DEFAULTS.maxAddresses;
    this.now = options.now ?? Date.now;
    // Reports windows that ended with no later request from their address to report them.
    this.sweeper = setInterval(() => this.sweep(false), this.windowMs);
    this.sweeper.unref();
  }

  /**
   * Milliseconds until this address's tokens are checked again, counting the request as refused;
   * 0 when they are checked now.
   */
  refusal(address: string): number {
    const tally = this.current(address);
    if (!tally || tally.failures < this.maxFailures) return 0;
    tally.refused++;
    return Math.max(1, tally.since + this.windowMs - this.now());
  }

  failed(address: string): void {
    let tally = this.current(address);
    if (!tally) {
      const oldest = this.tallies.size >= this.maxAddresses ? this.tallies.entries().next().value : undefined;
      if (oldest) this.end(...oldest);
      tally = { since: this.now(), failures: 0, refused: 0 };
      this.tallies.set(address, tally);
    }
    tally.failures++;
  }

  /** Stops the sweeper and reports every window still open. */
  close(): void {
    clearInterval(this.sweeper);
    this.sweep(true);
  }

  private current(address: string): Tally | undefined {
    const tally = this.tallies.get(address);
    if (tally && this.now() >= tally.since + this.windowMs) {
      this.end(address, tally);
      return undefined;
    }
    return tally;
  }

  private sweep(all: boolean): void {
    const now = this.now();
    for (const [address, tally] of this.tallies) if (all || now >= tally.since + this.windowMs) this.end(address, tally);
  }

  private end(address: string, tally: Tally): void {
    this.tallies.delete(address);
    const line = { address, failures: tally.failures, refused: tally.refused, since: new Date(tally.since).toISOString(), windowSeconds: this.windowMs / 1000 };
    if (tally.refused > 0) this.logger.warn(line, 'failed authentications from one address; its tokens were refused unchecked for the rest of the window');
    else this.logger.info(line, 'failed authentications');
  }
}
