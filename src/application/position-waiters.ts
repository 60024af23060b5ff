/**
 * Callers waiting for a projector to reach a log position (a command's caller that wants to read
 * its own write, a test, the rebuild CLI). Each is woken once the position is applied, or when the
 * projector stops or fails (`wakeAll`), and answers whether the position was reached.
 */
export class PositionWaiters {
  private waiters: Array<{ position: number; wake: () => void }> = [];

  constructor(private readonly applied: () => number) {}

  /** Resolves true once `position` is applied; false after `timeoutMs`, or if woken by `wakeAll` before. */
  waitFor(position: number, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(this.applied() >= position);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter.wake !== wake);
        resolve(false);
      }, timeoutMs);
      this.waiters.push({ position, wake });
    });
  }

  /** Wakes those whose position is now applied (called after each event: nothing to do most times). */
  wakeReached(): void {
    if (this.waiters.length === 0) return;
    this.wakeWhere((waiter) => waiter.position <= this.applied());
  }

  wakeAll(): void {
    this.wakeWhere(() => true);
  }

  private wakeWhere(ready: (waiter: { position: number }) => boolean): void {
    const woken = this.waiters.filter(ready);
    this.waiters = this.waiters.filter((waiter) => !woken.includes(waiter));
    for (const waiter of woken) waiter.wake();
  }
}
