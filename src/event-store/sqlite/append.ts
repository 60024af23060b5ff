import { planAppend, type AppendView } from '../append-plan.js';
import { DuplicateEventIdError } from '../errors.js';
import { chainedHash, GENESIS_HASH } from '../hash-chain.js';
import type { AppendResult, ExpectedRevision, StoredEvent, StreamRevision } from '../port.js';
import { BoundedMap } from '../../util/bounded-map.js';
import { rowToEvent, type EventRow, type Statements } from './schema.js';
import type { PreparedEvent } from '../validation.js';

export function revisionOf(stmt: Statements, stream: string): StreamRevision {
  const revision = stmt.revision.get(stream) as number | null;
  return revision === null ? 'no_stream' : revision;
}

/**
 * One append inside the store's write transaction: planned against the file, each event hashed
 * from the text it stores (no second serialisation), then inserted.
 */
export class SqliteAppender {
  /** Each stream's last committed hash, so an append need not read it back (only committed ones go in). */
  readonly lastHashes = new BoundedMap<string, { revision: number; hash: string }>(10_000);
  private readonly view: AppendView;

  constructor(private readonly stmt: Statements) {
    this.view = {
      streamRevision: (stream) => revisionOf(stmt, stream),
      findEvent: (id) => stmt.findById.get(id) as { stream: string; revision: number } | undefined,
      readRange: (stream, from, count) => (stmt.range.all(stream, from, from + count - 1, count) as EventRow[]).map(rowToEvent),
    };
  }

  append(stream: string, events: PreparedEvent[], expected: ExpectedRevision, recordedAt: string): AppendResult {
    const plan = planAppend(this.view, stream, events, expected);
    if (plan.kind === 'replay') return plan.result;
    const known = this.lastHashes.get(stream);
    let previousHash =
      plan.firstRevision === 0 ? GENESIS_HASH
      : known?.revision === plan.firstRevision - 1 ? known.hash
      : (this.stmt.hashAt.get(stream, plan.firstRevision - 1) as string);
    const stored = events.map((event, index): StoredEvent => {
      const revision = plan.firstRevision + index;
      const { id, type, dataJson, metadataJson } = event;
      const hash = chainedHash({ id, stream, revision, type, dataJson, metadataJson }, previousHash);
      // The caller's objects when their JSON reads back the same (see PreparedEvent): not parsed again.
      const data = event.data ?? JSON.parse(dataJson);
      const metadata = event.metadata ?? JSON.parse(metadataJson);
      previousHash = hash;
      const position = this.insert(stream, revision, event, recordedAt, hash);
      return { id, stream, revision, position, type, data, metadata, recordedAt, hash };
    });
    const last = stored[stored.length - 1]!;
    return { nextRevision: last.revision, position: last.position, events: stored, idempotentReplay: false };
  }

  private insert(stream: string, revision: number, event: PreparedEvent, recordedAt: string, hash: string): number {
    try {
      const info = this.stmt.insert.run(event.id, stream, revision, event.type, event.dataJson, event.metadataJson, recordedAt, hash);
      return Number(info.lastInsertRowid);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'SQLITE_CONSTRAINT_UNIQUE' && String((error as Error).message).includes('event_id')) {
        throw new DuplicateEventIdError(event.id);
      }
      throw error;
    }
  }
}
