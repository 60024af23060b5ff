import { randomUUID } from 'node:crypto';
import { status, type ServerWritableStream } from '@grpc/grpc-js';
import type streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import type { LogRecord, StandInLog } from './log.js';
import { caughtUp, confirmation, eventMessage, streamName, streamNotFound } from './messages.js';

type ReadReq = InstanceType<typeof streamsPb.ReadReq>;
type ReadResp = InstanceType<typeof streamsPb.ReadResp>;
type Options = InstanceType<typeof streamsPb.ReadReq.Options>;
type Call = ServerWritableStream<ReadReq, ReadResp>;

/**
 * Streams.Read (server streaming): stream reads forwards and backwards, $all reads, and stream and
 * $all subscriptions (catch-up, then a caught-up message, then live). Like the real server, a $all
 * read or subscription must start at a record boundary; anywhere else is an error.
 */
export function readHandler(log: StandInLog, stopped: AbortSignal) {
  return (call: Call): void => {
    const options = call.request.getOptions();
    if (!options) return fail(call, status.INVALID_ARGUMENT, 'read options are missing');
    const run = options.hasStream() ? readStream(call, log, options, stopped) : readAll(call, log, options, stopped);
    run.catch((error: Error) => fail(call, status.INTERNAL, error.message));
  };
}

async function readStream(call: Call, log: StandInLog, options: Options, stopped: AbortSignal): Promise<void> {
  const streamOptions = options.getStream()!;
  const stream = streamName(streamOptions.getStreamIdentifier());
  const records = log.stream(stream) ?? [];
  if (options.hasSubscription()) {
    // From a revision a subscription is exclusive, from the start inclusive.
    const first = streamOptions.hasRevision() ? Number(streamOptions.getRevision()) + 1 : streamOptions.hasEnd() ? records.length : 0;
    return subscribe(call, log, 0, (record) => record.stream === stream && record.revision >= first, stopped);
  }
  if (records.length === 0) return finish(call, [streamNotFound(stream)]);
  const count = Number(options.getCount());
  const last = records.length - 1;
  if (options.getReadDirection() === 1) {
    const from = Math.min(streamOptions.hasRevision() ? Number(streamOptions.getRevision()) : last, last);
    return finish(call, records.slice(Math.max(0, from - count + 1), from + 1).reverse().map(eventMessage));
  }
  const from = streamOptions.hasRevision() ? Number(streamOptions.getRevision()) : streamOptions.hasEnd() ? records.length : 0;
  return finish(call, records.slice(from, from + count).map(eventMessage));
}

async function readAll(call: Call, log: StandInLog, options: Options, stopped: AbortSignal): Promise<void> {
  const allOptions = options.getAll()!;
  const backwards = options.getReadDirection() === 1;
  let index: number | undefined = allOptions.hasEnd() ? log.records.length : 0;
  if (allOptions.hasPosition()) index = log.indexAt(BigInt(allOptions.getPosition()!.getCommitPosition()));
  if (index === undefined) return fail(call, status.UNKNOWN, 'Trying to read from an invalid position.');
  const matches = filterOf(options);
  if (options.hasSubscription()) {
    // From a position a $all subscription is exclusive, from the start inclusive.
    return subscribe(call, log, allOptions.hasPosition() ? index + 1 : index, matches, stopped);
  }
  const count = Number(options.getCount());
  const selected: ReadResp[] = [];
  if (backwards) {
    // Backwards from a position gives the records before it.
    for (let i = (allOptions.hasStart() ? 0 : index) - 1; i >= 0 && selected.length < count; i--) {
      if (matches(log.records[i]!)) selected.push(eventMessage(log.records[i]!));
    }
  } else {
    for (let i = index; i < log.records.length && selected.length < count; i++) {
      if (matches(log.records[i]!)) selected.push(eventMessage(log.records[i]!));
    }
  }
  return finish(call, selected);
}

async function subscribe(call: Call, log: StandInLog, startIndex: number, matches: (record: LogRecord) => boolean, stopped: AbortSignal): Promise<void> {
  const over = () => call.cancelled || stopped.aborted;
  const wake = () => log.wakeAll();
  call.on('cancelled', wake);
  await send(call, confirmation(randomUUID()));
  let index = startIndex;
  let caught = false;
  while (!over()) {
    while (index < log.records.length && !over()) {
      const record = log.records[index++]!;
      if (matches(record)) await send(call, eventMessage(record));
    }
    if (!caught) {
      caught = true;
      await send(call, caughtUp());
    }
    await log.waitForMore(index);
  }
}

/** The filter of a $all read or subscription: stream name or event type, by prefixes or a regex. */
function filterOf(options: Options): (record: LogRecord) => boolean {
  const filter = options.hasFilter() ? options.getFilter() : undefined;
  const expression = filter?.hasStreamIdentifier() ? filter.getStreamIdentifier() : filter?.getEventType();
  if (!filter || !expression) return () => true;
  const onStream = filter.hasStreamIdentifier();
  const prefixes = expression.getPrefixList();
  const regex = expression.getRegex() ? new RegExp(expression.getRegex()) : undefined;
  return (record) => {
    const value = onStream ? record.stream : record.type;
    if (prefixes.length > 0) return prefixes.some((prefix) => value.startsWith(prefix));
    return regex ? regex.test(value) : true;
  };
}

/** Writes one message, waiting while the client's window is full (so a slow reader bounds our memory). */
async function send(call: Call, message: ReadResp): Promise<void> {
  if (call.cancelled || call.write(message)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      call.off('drain', done);
      call.off('cancelled', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
  });
}

async function finish(call: Call, messages: ReadResp[]): Promise<void> {
  for (const message of messages) await send(call, message);
  if (!call.cancelled) call.end();
}

function fail(call: Call, code: status, details: string): void {
  if (!call.cancelled) call.emit('error', { code, details });
}
