/** Runs `attempt` after a delay that doubles with each try, up to `mostMs`; `succeeded()` starts over. */
export class Backoff {
  private timer: NodeJS.Timeout | undefined;
  private delayMs: number;

  constructor(private readonly firstMs: number, private readonly mostMs: number) {
    this.delayMs = firstMs;
  }

  /** Schedules `attempt` unless one is scheduled already. The timer keeps no process alive. */
  schedule(attempt: () => void): void {
    if (this.timer) return;
    const delay = this.delayMs;
    this.delayMs = Math.min(delay * 2, this.mostMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      attempt();
    }, delay);
    this.timer.unref();
  }

  succeeded(): void {
    this.delayMs = this.firstMs;
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
