import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../util/worker-module.js';
import type { CheckpointReply, CheckpointRequest, CheckpointResult, CheckpointWorkerData } from './checkpoint-worker.js';

/**
 * Runs WAL checkpoints on a connection of its own in a worker thread. SQLite's automatic
 * checkpoint runs inside the committing writer and stalled it for tens of milliseconds at a
 * time here; a PASSIVE checkpoint from another connection copies pages while the writer goes on.
 * Frequent small rounds keep the WAL short, so the writer's top-up (see store.ts) stays small.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private inFlight = false;
  /** Work committed since the last round, in the caller's units (commits, or estimated WAL frames). */
  private pendingWork = 0;
  private lastRequestAt = 0;
  private lastCommitAt = 0;
  /** One timer, armed once and pushed back on firing: re-arming it on every commit cost the writer. */
  private idleTimer: NodeJS.Timeout | undefined;
  private exited: Promise<void>;
  private readonly closed = new SharedArrayBuffer(4);
  lastResult: CheckpointResult | undefined;
  lastError: string | undefined;
  completed = 0;

  /** Checkpoint after `everyCommits` units of work or `intervalMs`, and once more when writes pause for `idleMs`. */
  constructor(
    file: string,
    /** Told, with the WAL's length in frames, when the worker has copied all of it that it saw. */
    private readonly onCopied: (walFrames: number) => void,
    /**
     * A round after this much work or this long, whichever comes first; one more when writes pause.
     * Work is what `noteCommit` is given: 1 a commit by default, or an estimate of the frames written.
     */
    private readonly everyCommits = 64,
    private readonly intervalMs = 100,
    private readonly idleMs = 300,
  ) {
    const workerData: CheckpointWorkerData = { file, closed: this.closed };
    this.worker = startWorker('checkpoint-worker', import.meta.url, { workerData });
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.on('message', (message: CheckpointReply) => {
      this.inFlight = false;
      this.completed++;
      if (message.ok) {
        this.lastResult = message.result;
        if (message.result) this.onCopied(message.result.log);
      } else this.lastError = message.error;
    });
    this.worker.on('error', (error) => {
      this.lastError = error.message;
    });
  }

  /** Called after each commit that wrote something, with its work (see `everyCommits`). */
  noteCommit(work = 1): void {
    this.pendingWork += work;
    const now = performance.now();
    this.lastCommitAt = now;
    if (this.pendingWork >= this.everyCommits || now - this.lastRequestAt >= this.intervalMs) this.request();
    if (this.idleTimer === undefined) this.armIdleTimer(this.idleMs);
  }

  private armIdleTimer(ms: number): void {
    this.idleTimer = setTimeout(this.onIdleTimer, ms);
    this.idleTimer.unref();
  }

  private readonly onIdleTimer = (): void => {
    const quietFor = performance.now() - this.lastCommitAt;
    if (quietFor < this.idleMs) return this.armIdleTimer(this.idleMs - quietFor);
    this.idleTimer = undefined;
    this.request();
  };

  request(): void {
    if (this.inFlight || this.pendingWork === 0) return;
    this.inFlight = true;
    this.pendingWork = 0;
    this.lastRequestAt = performance.now();
    this.post('checkpoint');
  }

  private post(request: CheckpointRequest): void {
    this.worker.postMessage(request);
  }

  /**
   * Closes from synchronous code (a `close()` that callers do not await): waits, blocking, until
   * the worker's connection is closed (at most `timeoutMs`), so the files can be removed at once.
   */
  closeSync(timeoutMs = 5000): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.post('close');
    Atomics.wait(new Int32Array(this.closed), 0, 0, timeoutMs);
    void this.worker.terminate();
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.post('close');
    // A timer that keeps the process alive until the worker has closed its connection (it is unref'd).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise((resolve) => (timer = setTimeout(resolve, 2000)))]);
    clearTimeout(timer);
    await this.worker.terminate();
  }
}
