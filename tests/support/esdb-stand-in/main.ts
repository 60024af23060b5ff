/**
 * Runs the EventStoreDB protocol stand-in (tests only, not a database) as its own process, so that
 * end-to-end tests can start API processes against it:
 *
 *   node --import tsx tests/support/esdb-stand-in/main.ts [port]
 *
 * (Spawn node itself rather than npx, so that killing the child's pid stops the stand-in.)
 * Prints one line, `ESDB_CONNECTION_STRING=esdb://127.0.0.1:PORT?tls=false`, once it listens; stops
 * on SIGINT or SIGTERM.
 */
import { start } from './server.js';

const requested = process.argv[2] === undefined ? 0 : Number(process.argv[2]);
if (!Number.isInteger(requested) || requested < 0 || requested > 65535) {
  process.stderr.write(`usage: main.ts [port]; '${process.argv[2]}' is not a port number\n`);
  process.exit(2);
}
const standIn = await start({ port: requested });
process.stdout.write(`ESDB_CONNECTION_STRING=${standIn.connectionString}\n`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void standIn.stop().then(() => process.exit(0));
  });
}
