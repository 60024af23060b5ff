/**
 * A PROTOCOL STAND-IN FOR EVENTSTOREDB, FOR TESTS ONLY. It is not a database: it keeps events in
 * memory, has no persistence, security, clustering, projections, persistent subscriptions, stream
 * deletion or BatchAppend. It serves the gRPC Streams service (Append and Read) with the generated
 * definitions that ship inside @eventstore/db-client, so that the real client's appendToStream,
 * readStream, readAll, subscribeToStream and subscribeToAll can be exercised without a server.
 *
 * The client asks ServerFeatures what the server supports at connect; this stand-in does not serve
 * that service, grpc-js answers UNIMPLEMENTED, and the client then uses the plain Append.
 */
import { Server, ServerCredentials, status, type handleBidiStreamingCall, type handleUnaryCall } from '@grpc/grpc-js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import { appendHandler } from './append.js';
import { StandInLog } from './log.js';
import { readHandler } from './read.js';

export interface RunningStandIn {
  /** For EventStoreDBClient.connectionString / ESDB_CONNECTION_STRING. */
  connectionString: string;
  port: number;
  /** The events it holds: pass it to a later start() to simulate a server restart that keeps data. */
  log: StandInLog;
  stop(): Promise<void>;
}

export interface StandInOptions {
  /** 0 (default): any free port. */
  port?: number;
  log?: StandInLog;
}

const unimplemented: handleUnaryCall<unknown, unknown> & handleBidiStreamingCall<unknown, unknown> = ((call: unknown, callback?: (error: unknown) => void) => {
  const error = { code: status.UNIMPLEMENTED, details: 'not served by the EventStoreDB stand-in' };
  if (callback) callback(error);
  else (call as { emit(event: string, value: unknown): void }).emit('error', error);
}) as never;

/** Starts the stand-in on 127.0.0.1 (loopback only). */
export async function start(options: StandInOptions = {}): Promise<RunningStandIn> {
  const log = options.log ?? new StandInLog();
  const stopping = new AbortController();
  const server = new Server();
  server.addService(streamsGrpc.StreamsService, {
    read: readHandler(log, stopping.signal),
    append: appendHandler(log),
    delete: unimplemented,
    tombstone: unimplemented,
    batchAppend: unimplemented,
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${options.port ?? 0}`, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  return {
    connectionString: `esdb://127.0.0.1:${port}?tls=false`,
    port,
    log,
    async stop() {
      stopping.abort();
      log.wakeAll();
      // Ends open subscriptions too, as a server going away would.
      server.forceShutdown();
    },
  };
}
