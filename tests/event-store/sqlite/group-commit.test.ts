import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../../src/event-store/sqlite/store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A store whose clock moves a second at every commit: events that share a recordedAt share a commit. */
function storeCountingCommits() {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-group-commit-'));
  dirs.push(dir);
  let commits = 0;
  const now = () => new Date(Date.UTC(2026, 0, 1) + 1000 * commits++);
  return new SqliteEventStore(join(dir, 'ledger.sqlite'), { now });
}

const step = (round: number) => [{ type: 'NegotiationRoundHeld', data: { round } }];

describe('group commit in the SQLite store', () => {
  it('commits an append made right after an acknowledgement together with the appends beside it', async () => {
    const store = storeCountingCommits();
    try {
      await store.append('agreement-a', step(1), { expectedRevision: 'no_stream' });
      // The writer's next append, from the continuation of its acknowledgement, and another writer's in the same turn.
      const [next, other] = await Promise.all([
        store.append('agreement-a', step(2), { expectedRevision: 0 }),
        store.append('agreement-b', step(1), { expectedRevision: 'no_stream' }),
      ]);
      expect(next.events[0]!.recordedAt).toBe(other.events[0]!.recordedAt);
    } finally {
      await store.close();
    }
  });
});
