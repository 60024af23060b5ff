import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { startWorker } from '../util/worker-module.js';
import type { StoredItem } from './port.js';
import { dayNumber } from './days.js';
import type { ItemBatch, ItemWriterReply, ItemWriterRequest, ItemWriterWorkerData } from './item-writer-worker.js';
import { assertTableName } from './sqlite-item-tables.js';

/**
 * Writes batches of items on a connection of its own in a worker thread (item-writer-worker.ts),
 * so that a catch-up folds the next events while SQLite stores the last ones.
 *
 * The batch goes over as columns, all transferred, none copied: numbers in typed arrays, and the
 * keys and item texts as UTF-8 in one buffer with their end offsets. Cloning item objects costs
 * the sender far more; the worker, which has time to spare, decodes the texts instead of
 * deserialising a message of strings, and spans go as day numbers.
 * `settle()` blocks until every batch sent is written; the document store settles before anything
 * else it does, so nobody reads or commits past an item still on its way, and refuses to commit at
 * all once a batch failed.
 */
/**
 * Items per message. A message is copied into the worker's heap as it arrives; a few thousand fit
 * in its young generation and die there. Whole batches of 50,000 were promoted, and the worker's
 * heap (and the process's peak RSS) grew by tens of MB.
 */
const CHUNK = 4096;

export interface ItemWriterStatements {
  widestSql: string;
  setWidestSql: string;
}

export class ItemWriter {
  private readonly worker: Worker;
  private readonly replies: MessagePort;
  /** [0]: batches written (failed ones included); [1]: 1 once the worker's connection is closed. */
  private readonly written = new Int32Array(new SharedArrayBuffer(8));
  private pending = 0;
  private died: string | undefined;
  private failure: string | undefined;

  constructor(file: string, statements: ItemWriterStatements) {
    const { port1, port2 } = new MessageChannel();
    this.replies = port1;
    const workerData: ItemWriterWorkerData = { file, written: this.written.buffer as SharedArrayBuffer, replies: port2, ...statements };
    this.worker = startWorker('item-writer-worker', import.meta.url, { workerData, transferList: [port2] });
    this.worker.unref();
    // A worker that dies cannot answer: remembered, so that the next settle says why (an 'error'
    // event without a listener would end the server).
    this.worker.on('error', (error) => (this.died ??= error.message));
  }

  /**
   * Sends items to be written into `table` (the model's, which must exist), in messages of CHUNK
   * items; `widest` is the longest span among them, in days.
   */
  write(model: string, table: string, items: readonly StoredItem[], widest: number): void {
    assertTableName(table);
    for (let start = 0; start < items.length; start += CHUNK) this.send(model, table, items.slice(start, start + CHUNK), widest);
  }

  private send(model: string, table: string, items: readonly StoredItem[], widest: number): void {
    const count = items.length;
    const seq = new Float64Array(count);
    const prev = new Float64Array(count);
    const starts = new Float64Array(count);
    const ends = new Float64Array(count);
    const textEnds = new Uint32Array(2 * count);
    let length = 0;
    for (const item of items) length += item.key.length + item.json.length;
    // Room for ASCII with a margin; grown when a string might not fit (UTF-8 takes up to 3 bytes a UTF-16 unit).
    let text = Buffer.allocUnsafeSlow(length + (length >> 2) + 64);
    let at = 0;
    const put = (value: string) => {
      if (at + 3 * value.length > text.length) {
        const larger = Buffer.allocUnsafeSlow(Math.max(2 * text.length, at + 3 * value.length));
        text.copy(larger, 0, 0, at);
        text = larger;
      }
      at += text.write(value, at);
      return at;
    };
    for (let i = 0; i < count; i++) {
      const item = items[i]!;
      seq[i] = item.seq;
      prev[i] = item.prev ?? Number.NaN;
      starts[i] = item.span ? dayNumber(item.span.start) : Number.NaN;
      ends[i] = item.span ? dayNumber(item.span.end) : Number.NaN;
      textEnds[2 * i] = put(item.key);
      textEnds[2 * i + 1] = put(item.json);
    }
    const buffers = [seq.buffer, prev.buffer, starts.buffer, ends.buffer, textEnds.buffer, text.buffer];
    const batch: ItemBatch = { model, table, seq, prev, starts, ends, textEnds, text: text.buffer as ArrayBuffer, widest };
    this.post(batch, buffers);
    this.pending++;
  }

  private post(request: ItemWriterRequest, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(request, transfer);
  }

  /** Blocks until every batch sent has been written (or has failed: see `assertAllWritten`). */
  settle(): void {
    while (this.pending > 0) {
      if (this.died !== undefined) {
        this.failure ??= `the item writer stopped: ${this.died}`;
        return;
      }
      const seen = Atomics.load(this.written, 0);
      const reply = receiveMessageOnPort(this.replies) as { message: ItemWriterReply } | undefined;
      if (reply === undefined) {
        if (Atomics.wait(this.written, 0, seen, 60_000) === 'timed-out') throw new Error('the item writer did not answer within 60 s');
        continue;
      }
      this.pending--;
      if (!reply.message.ok) this.failure ??= reply.message.error;
    }
  }

  /**
   * Settles, then throws if any batch ever failed, and goes on throwing: a commit after a lost batch
   * would put a checkpoint past items that are not there. Reopening the store starts again from
   * the checkpoint, which the fold resumes from, writing those items again.
   */
  assertAllWritten(): void {
    this.settle();
    if (this.failure !== undefined) throw new Error(`items could not be stored: ${this.failure}`);
  }

  /** True once a batch failed: this writer is done for, and a new one must take its place. */
  get broken(): boolean {
    this.settle();
    return this.failure !== undefined;
  }

  /** Writes what was sent, then closes the worker's connection, waiting for it (at most `timeoutMs`). */
  closeSync(timeoutMs = 5000): void {
    try {
      this.settle();
    } finally {
      this.post('close');
      Atomics.wait(this.written, 1, 0, timeoutMs);
      this.replies.close();
      void this.worker.terminate();
    }
  }
}
