import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { putItemSql } from './sqlite-item-tables.js';

/** The item writer's thread (see item-writer.ts): writes batches of items on a connection of its own. */

export interface ItemWriterWorkerData {
  file: string;
  /** Int32Array over it: [0] counts batches written (failed ones included); [1] becomes 1 once closed. */
  written: SharedArrayBuffer;
  replies: MessagePort;
  widestSql: string;
  setWidestSql: string;
}

/** One message: a batch of items as columns (see ItemWriter.send); NaN stands for null. */
export interface ItemBatch {
  model: string;
  table: string;
  seq: Float64Array;
  prev: Float64Array;
  starts: Float64Array;
  ends: Float64Array;
  /** For item i: the end offsets of its key (2i) and of its JSON text (2i + 1) in `text`. */
  textEnds: Uint32Array;
  text: ArrayBuffer;
  widest: number;
}

export type ItemWriterRequest = ItemBatch | 'close';
export type ItemWriterReply = { ok: true } | { ok: false; error: string };

if (!parentPort) throw new Error('item-writer-worker runs only as a worker thread');
const port = parentPort;
const data = workerData as ItemWriterWorkerData;
const db = new Database(data.file);
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = NORMAL');
// Each model's table, by name, prepared once.
const puts = new Map<string, Database.Statement>();
const putInto = (table: string) => {
  let put = puts.get(table);
  if (!put) puts.set(table, (put = db.prepare(putItemSql(table))));
  return put;
};
const widest = db.prepare(data.widestSql).pluck();
const setWidest = db.prepare(data.setWidestSql);
const written = new Int32Array(data.written);
const orNull = (number: number) => (Number.isNaN(number) ? null : number);

const write = db.transaction((batch: ItemBatch) => {
  const { model, table, seq, prev, starts, ends, textEnds } = batch;
  const text = Buffer.from(batch.text);
  const putItem = putInto(table);
  let at = 0;
  for (let i = 0; i < seq.length; i++) {
    const keyEnd = textEnds[2 * i]!;
    const jsonEnd = textEnds[2 * i + 1]!;
    putItem.run(seq[i], text.toString('utf8', at, keyEnd), orNull(prev[i]!), text.toString('utf8', keyEnd, jsonEnd), orNull(starts[i]!), orNull(ends[i]!));
    at = jsonEnd;
  }
  if (batch.widest > ((widest.get(model) as number | undefined) ?? 0)) setWidest.run(model, batch.widest);
});

port.on('message', (request: ItemWriterRequest) => {
  if (request === 'close') {
    db.close();
    // For closeSync: the connection is gone, the file is free.
    Atomics.store(written, 1, 1);
    Atomics.notify(written, 1);
    port.close();
    return;
  }
  let reply: ItemWriterReply;
  try {
    write.immediate(request);
    reply = { ok: true };
  } catch (error) {
    reply = { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  data.replies.postMessage(reply);
  Atomics.add(written, 0, 1);
  Atomics.notify(written, 0);
});
