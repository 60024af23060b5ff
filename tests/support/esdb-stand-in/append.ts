import { status, type sendUnaryData, type ServerReadableStream } from '@grpc/grpc-js';
import type streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import type { Expected, Proposed, StandInLog } from './log.js';
import { appendSuccess, streamName, wrongExpectedVersion } from './messages.js';

type AppendReq = InstanceType<typeof streamsPb.AppendReq>;
type AppendResp = InstanceType<typeof streamsPb.AppendResp>;

/**
 * Streams.Append (client streaming): one message with the options, then one per event; the answer
 * comes once the client ends its side. All events of a call are written together or not at all.
 */
export function appendHandler(log: StandInLog) {
  return (call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>): void => {
    let stream: string | undefined;
    let expected: Expected = { kind: 'any' };
    const events: Proposed[] = [];
    call.on('data', (request: AppendReq) => {
      const options = request.getOptions();
      if (options) {
        stream = streamName(options.getStreamIdentifier());
        if (options.hasRevision()) expected = { kind: 'revision', revision: Number(options.getRevision()) };
        else if (options.hasNoStream()) expected = { kind: 'no_stream' };
        else if (options.hasStreamExists()) expected = { kind: 'stream_exists' };
        return;
      }
      const message = request.getProposedMessage();
      if (!message) return;
      const metadata = message.getMetadataMap();
      events.push({
        id: message.getId()?.getString() ?? '',
        type: metadata.get('type') ?? '',
        contentType: metadata.get('content-type') ?? 'application/octet-stream',
        data: message.getData_asU8(),
        metadata: message.getCustomMetadata_asU8(),
      });
    });
    call.on('end', () => {
      if (stream === undefined || events.length === 0) {
        callback({ code: status.INVALID_ARGUMENT, details: 'an append needs options and at least one event' });
        return;
      }
      const outcome = log.append(stream, expected, events);
      if (log.loseNextAppendReply) {
        log.loseNextAppendReply = false;
        callback({ code: status.UNAVAILABLE, details: 'the reply was lost (stand-in fault)' });
        return;
      }
      callback(null, outcome.ok ? appendSuccess(outcome.last) : wrongExpectedVersion(outcome.current, expected));
    });
  };
}
