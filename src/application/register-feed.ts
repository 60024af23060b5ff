import type { FastifyBaseLogger } from 'fastify';
import { foldRegister, REGISTER, type RegisterDocument } from '../../projections/register/projection.js';
import type { EventStore, Subscription } from '../event-store/port.js';
import { toRecorded } from './handle-command.js';

/**
 * Keeps the register read model in memory, fed by a catch-up-then-live subscription.
 * (Issue 5 moves read models to their own tables with checkpoints; until then this one is
 * rebuilt from the log at every start, which the fold makes cheap and exact.)
 */
export class RegisterFeed {
  readonly documents = new Map<string, RegisterDocument>();
  position = 0;
  failed: { position: number; error: string } | undefined;
  private subscription: Subscription | undefined;
  private waiters: Array<{ position: number; wake: () => void }> = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly logger: FastifyBaseLogger,
  ) {}

  start(): void {
    this.subscription = this.store.subscribe({ fromPosition: this.position + 1, streamPrefix: REGISTER.streamPrefix });
    this.running = this.run(this.subscription);
  }

  private async run(subscription: Subscription): Promise<void> {
    try {
      for await (const stored of subscription) {
        const id = stored.stream.slice(REGISTER.streamPrefix.length);
        const next = foldRegister(this.documents.get(id), { stream: stored.stream, position: stored.position, recordedAt: stored.recordedAt, event: toRecorded(stored) });
        if (next) this.documents.set(id, next);
        this.position = stored.position;
        this.wakeWaiters();
      }
    } catch (error) {
      this.failed = { position: this.position + 1, error: (error as Error).message };
      this.logger.error({ err: error, position: this.position + 1 }, 'register projection stopped');
      this.wakeWaiters(true);
    }
  }

  /** Resolves true once the register has applied `position`, false after `timeoutMs`. */
  waitFor(position: number, timeoutMs: number): Promise<boolean> {
    if (this.position >= position) return Promise.resolve(true);
    if (this.failed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter.wake !== wake);
        resolve(false);
      }, timeoutMs);
      const wake = () => {
        clearTimeout(timer);
        resolve(this.position >= position);
      };
      this.waiters.push({ position, wake });
    });
  }

  private wakeWaiters(all = false): void {
    const ready = this.waiters.filter((waiter) => all || waiter.position <= this.position);
    this.waiters = this.waiters.filter((waiter) => !ready.includes(waiter));
    for (const waiter of ready) waiter.wake();
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    await this.running;
  }
}
