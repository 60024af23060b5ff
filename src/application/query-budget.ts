/**
 * What one expensive question (the register as of another moment) may take of the server: it
 * runs in slices that give the event loop back every SLICE_MS, so other requests are answered
 * meanwhile; at most `concurrent` run at once, and each within `maxMs`. Past either, the answer
 * is "busy, retry later" rather than a queue without end.
 */
const SLICE_MS = 2;

export interface QueryBudgetOptions {
  concurrent: number;
  maxMs: number;
}

export const QUERY_BUDGET_DEFAULTS: QueryBudgetOptions = { concurrent: 2, maxMs: 60_000 };

/** Too many expensive questions are being answered already. */
export class ServerBusyError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('the server is answering as many audit questions as it takes at once; retry later');
  }
}

/** The question took longer than its budget and was given up. */
export class QueryBudgetExceededError extends Error {
  constructor(readonly maxMs: number) {
    super(`the question took longer than its budget of ${maxMs / 1000} s and was given up`);
  }
}

/** Yields to the event loop once a slice is used up; throws once the budget is. */
export class Slices {
  private sliceStartedAt = performance.now();

  constructor(private readonly deadline: number, private readonly maxMs: number) {}

  async next(): Promise<void> {
    const now = performance.now();
    if (now - this.sliceStartedAt < SLICE_MS) return;
    if (now > this.deadline) throw new QueryBudgetExceededError(this.maxMs);
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStartedAt = performance.now();
  }
}

export class QueryBudget {
  private running = 0;

  constructor(private readonly options: QueryBudgetOptions = QUERY_BUDGET_DEFAULTS) {}

  async run<T>(work: (slices: Slices) => Promise<T>): Promise<T> {
    if (this.running >= this.options.concurrent) throw new ServerBusyError(5);
    this.running++;
    try {
      return await work(new Slices(performance.now() + this.options.maxMs, this.options.maxMs));
    } finally {
      this.running--;
    }
  }
}
