import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Runs WAL checkpoints on a connection of its own in a worker thread. SQLite's automatic
 * checkpoint runs inside the committing writer and stalled it for tens of milliseconds at a
 * time here; a PASSIVE checkpoint from another connection copies pages while the writer goes on.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
parentPort.on('message', (message) => {
  if (message === 'close') { db.close(); parentPort.close(); return; }
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, result });
  } catch (error) {
    parentPort.postMessage({ ok: false, error: String(error && error.message || error) });
  }
});
`;

export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

export class Checkpointer {
  private readonly worker: Worker;
  private inFlight = false;
  private pendingBytes = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private exited: Promise<void>;
  lastResult: CheckpointResult | undefined;
  lastError: string | undefined;
  completed = 0;

  /** Checkpoint after this many bytes of appended JSON, or when writes pause for `idleMs`. */
  constructor(file: string, private readonly thresholdBytes = 4 * 1024 * 1024, private readonly idleMs = 500) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver } });
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.on('message', (message: { ok: boolean; result?: CheckpointResult; error?: string }) => {
      this.inFlight = false;
      this.completed++;
      if (message.ok) this.lastResult = message.result;
      else this.lastError = message.error;
    });
    this.worker.on('error', (error) => {
      this.lastError = error.message;
    });
  }

  /** Called after each commit with the bytes it wrote. */
  noteCommit(bytes: number): void {
    this.pendingBytes += bytes;
    if (this.pendingBytes >= this.thresholdBytes) this.request();
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.request(), this.idleMs);
    this.idleTimer.unref();
  }

  request(): void {
    if (this.inFlight || this.pendingBytes === 0) return;
    this.inFlight = true;
    this.pendingBytes = 0;
    this.worker.postMessage('checkpoint');
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    this.worker.postMessage('close');
    await Promise.race([this.exited, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    await this.worker.terminate();
  }
}
