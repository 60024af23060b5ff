import { StoreClosedError, StoreUnavailableError } from '../errors.js';
import { TransientWireError } from './wire.js';

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** The first pause; each later one doubles. */
  baseDelayMs: number;
}

/** Four tries over about 0.7 s: rides out a leader change or a restart without hanging a request. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 100 };

export interface RetryHooks {
  isClosed: () => boolean;
  onTransient: (error: TransientWireError) => void;
}

/**
 * Runs `operation`, retrying it after a growing pause while it fails with a transient error.
 * Only for operations that are safe to repeat (reads, or appends whose caller re-plans).
 */
export async function withRetry<T>(operation: () => Promise<T>, hooks: RetryHooks, policy: RetryPolicy = DEFAULT_RETRY): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (hooks.isClosed()) throw new StoreClosedError();
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof TransientWireError)) throw error;
      hooks.onTransient(error);
      if (hooks.isClosed()) throw new StoreClosedError();
      if (attempt >= policy.attempts) throw new StoreUnavailableError(`${error.message} (after ${attempt} attempts)`, { cause: error });
      await pause(backoff(attempt, policy));
    }
  }
}

/** Exponential with jitter, so that many callers retrying at once do not hit the server together. */
export function backoff(attempt: number, policy: RetryPolicy = DEFAULT_RETRY): number {
  const ceiling = policy.baseDelayMs * 2 ** (attempt - 1);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
