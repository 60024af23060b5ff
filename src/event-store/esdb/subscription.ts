import { StoreUnavailableError } from '../errors.js';
import { isLedgerEvent, unwrapEvent } from './envelope.js';
import { subscriptionStartFor, toPortPosition } from './positions.js';
import { backoff, DEFAULT_RETRY, pause, type RetryHooks } from './retry.js';
import { TransientWireError, type EsdbWire, type WireSubscription } from './wire.js';
import type { StoredEvent, Subscription } from '../port.js';

/**
 * A $all subscription (the server does catch-up, then live) with the ledger's inclusive start. When
 * the connection drops it subscribes again after the last event it delivered, a few times with a
 * growing pause; an event is never delivered twice or skipped.
 */
export class EsdbSubscription implements Subscription {
  private closed = false;
  private current: WireSubscription | undefined;

  constructor(
    private readonly wire: EsdbWire,
    private readonly hooks: RetryHooks,
    private readonly fromPosition: number,
    private readonly streamPrefix: string | undefined,
    private readonly onClosed: () => void,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<StoredEvent> {
    const start = subscriptionStartFor(this.fromPosition);
    let after = start.commit;
    let failures = 0;
    try {
      while (!this.closed) {
        const subscription = this.wire.subscribe(after, this.streamPrefix);
        this.current = subscription;
        try {
          for await (const raw of subscription) {
            failures = 0;
            if (raw.commit === undefined) continue;
            after = raw.commit;
            if (!isLedgerEvent(raw) || toPortPosition(raw.commit) < start.skipBelow) continue;
            if (this.streamPrefix !== undefined && !raw.stream.startsWith(this.streamPrefix)) continue;
            yield unwrapEvent(raw).event;
            if (this.closed) return;
          }
          return;
        } catch (error) {
          if (this.closed) return;
          if (!(error instanceof TransientWireError)) throw error;
          this.hooks.onTransient(error);
          if (++failures >= DEFAULT_RETRY.attempts) throw new StoreUnavailableError(`subscription lost: ${error.message}`, { cause: error });
          await pause(backoff(failures));
        } finally {
          await subscription.close();
        }
      }
    } finally {
      this.closed = true;
      this.onClosed();
    }
  }

  /** The server delivers events one by one: each is a page of its own. */
  async *pages(): AsyncGenerator<readonly StoredEvent[]> {
    for await (const event of this) yield [event];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.current?.close();
    this.onClosed();
  }
}
