import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** The checkpointer's thread (see checkpointer.ts): PASSIVE checkpoints on a connection of its own. */

export interface CheckpointWorkerData {
  file: string;
  /** Int32Array over it: [0] becomes 1 once the connection is closed (for closeSync). */
  closed: SharedArrayBuffer;
}

export type CheckpointRequest = 'checkpoint' | 'close';

export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

export type CheckpointReply = { ok: true; result: CheckpointResult | undefined } | { ok: false; error: string };

/** The writer keeps appending meanwhile: rounds until the whole WAL is copied, at most this many. */
const MAX_ROUNDS = 20;

if (!parentPort) throw new Error('the checkpoint worker runs only as a worker thread');
const port = parentPort;
const { file, closed: closedBuffer } = workerData as CheckpointWorkerData;
const db = new Database(file);
db.pragma('busy_timeout = 5000');
const closed = new Int32Array(closedBuffer);

port.on('message', (message: CheckpointRequest) => {
  if (message === 'close') {
    db.close();
    // For closeSync: the connection is gone, the files are free.
    Atomics.store(closed, 0, 1);
    Atomics.notify(closed, 0);
    port.close();
    return;
  }
  let reply: CheckpointReply;
  try {
    // Copied whole, the WAL lets the next commit start it from the beginning instead of growing it.
    let result: CheckpointResult | undefined;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      [result] = db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[];
      if (result && result.log === result.checkpointed) break;
    }
    reply = { ok: true, result };
  } catch (error) {
    reply = { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
