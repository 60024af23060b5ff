/**
 * Builds the protocol messages the stand-in sends, with the generated classes that ship inside
 * @eventstore/db-client (the same ones the client decodes with).
 */
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import type { LogRecord } from './log.js';

const { ReadResp, AppendResp } = streamsPb;
export { AppendResp, ReadResp };
export const { Empty, StreamIdentifier, UUID } = sharedPb;

export function streamName(identifier: InstanceType<typeof StreamIdentifier> | undefined): string {
  return Buffer.from(identifier?.getStreamName_asU8() ?? new Uint8Array()).toString('utf8');
}

export function identifierOf(stream: string): InstanceType<typeof StreamIdentifier> {
  return new StreamIdentifier().setStreamName(Buffer.from(stream, 'utf8'));
}

/** An event as a read or subscription returns it, with its $all position (as servers since 22.6 do on stream reads too). */
export function eventMessage(record: LogRecord): InstanceType<typeof ReadResp> {
  const recorded = new ReadResp.ReadEvent.RecordedEvent()
    .setId(new UUID().setString(record.id))
    .setStreamIdentifier(identifierOf(record.stream))
    .setStreamRevision(String(record.revision))
    .setCommitPosition(String(record.commit))
    .setPreparePosition(String(record.commit))
    .setData(record.data)
    .setCustomMetadata(record.metadata);
  recorded.getMetadataMap().set('type', record.type).set('content-type', record.contentType).set('created', String(record.created));
  const event = new ReadResp.ReadEvent().setEvent(recorded).setCommitPosition(String(record.commit));
  return new ReadResp().setEvent(event);
}

export function streamNotFound(stream: string): InstanceType<typeof ReadResp> {
  return new ReadResp().setStreamNotFound(new ReadResp.StreamNotFound().setStreamIdentifier(identifierOf(stream)));
}

export function confirmation(id: string): InstanceType<typeof ReadResp> {
  return new ReadResp().setConfirmation(new ReadResp.SubscriptionConfirmation().setSubscriptionId(id));
}

export function caughtUp(): InstanceType<typeof ReadResp> {
  return new ReadResp().setCaughtUp(new ReadResp.CaughtUp());
}

export function appendSuccess(record: LogRecord): InstanceType<typeof AppendResp> {
  const position = new AppendResp.Position().setCommitPosition(String(record.commit)).setPreparePosition(String(record.commit));
  return new AppendResp().setSuccess(new AppendResp.Success().setCurrentRevision(String(record.revision)).setPosition(position));
}

export function wrongExpectedVersion(
  current: number | 'no_stream',
  expected: { kind: 'any' | 'no_stream' | 'stream_exists' } | { kind: 'revision'; revision: number },
): InstanceType<typeof AppendResp> {
  const wrong = new AppendResp.WrongExpectedVersion();
  if (current === 'no_stream') wrong.setCurrentNoStream(new Empty());
  else wrong.setCurrentRevision(String(current));
  if (expected.kind === 'revision') wrong.setExpectedRevision(String(expected.revision));
  else if (expected.kind === 'no_stream') wrong.setExpectedNoStream(new Empty());
  else if (expected.kind === 'stream_exists') wrong.setExpectedStreamExists(new Empty());
  else wrong.setExpectedAny(new Empty());
  return new AppendResp().setWrongExpectedVersion(wrong);
}
