import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/event-store/sqlite/store.js';

const root = join(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'ledger-verify-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const verify = (dataDir: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/verify.ts')], { cwd: root, env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, encoding: 'utf8', timeout: 60_000 });

const MARKER = 'held-on-pages-of-its-own';

/** Small streams interleaved, then one stream of long events (pages that hold nothing else), then more small ones. */
async function ledger(name: string): Promise<string> {
  const dir = join(work, name);
  const store = new SqliteEventStore(join(dir, 'ledger.sqlite'));
  const small = async (round: number) => {
    for (let stream = 0; stream < 10; stream++) {
      await store.append(`agreement-small-${stream}`, Array.from({ length: 10 }, (_, index) => ({ type: 'NegotiationRoundHeld', data: { round: round * 10 + index } })), { expectedRevision: 'any' });
    }
  };
  await small(0);
  await store.append('agreement-long', Array.from({ length: 40 }, (_, index) => ({ type: 'NegotiationRoundHeld', data: { round: index, note: `${MARKER} ${'y'.repeat(1500)}` } })), { expectedRevision: 'no_stream' });
  await small(1);
  await store.close();
  return dir;
}

function sql(dir: string, statement: string, ...params: unknown[]): void {
  const db = new Database(join(dir, 'ledger.sqlite'));
  db.prepare(statement).run(...params);
  db.close();
}

const brokenLines = (stdout: string) => stdout.split('\n').filter((line) => line.startsWith('BROKEN at position '));
const namedPositions = (stdout: string) => brokenLines(stdout).map((line) => Number(/^BROKEN at position (\d+)/.exec(line)![1]));
const noStackTrace = (output: string) => expect(output).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('npm run verify', () => {
  it('names every broken position, edits, broken JSON and an unreadable page alike, with exit 3 and no stack trace', async () => {
    const dir = await ledger('damaged');
    expect(verify(dir).status).toBe(0);
    // Two edits in two streams, one event whose JSON no longer parses.
    sql(dir, `UPDATE events SET data = replace(data, '"round":3', '"round":8') WHERE position = 4`);
    sql(dir, `UPDATE events SET metadata = '{"actor":"mallory"}' WHERE position = 57`);
    sql(dir, 'UPDATE events SET data = substr(data, 2) WHERE position = 230');
    // 4 KiB of garbage over a page that holds events of agreement-long only.
    const file = join(dir, 'ledger.sqlite');
    const bytes = readFileSync(file);
    const pages = Array.from({ length: bytes.length / 4096 }, (_, index) => bytes.subarray(index * 4096, (index + 1) * 4096).toString('latin1'));
    const page = pages.findIndex((text, index) => index > pages.findIndex((first) => first.includes(MARKER)) && text.split(MARKER).length >= 3 && !text.includes('agreement-small'));
    expect(page).toBeGreaterThan(0);
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(4096, 'garbage!'), 0, 4096, page * 4096);
    closeSync(fd);
    // What a reader can no longer read, asked one row at a time.
    const db = new Database(file, { readonly: true });
    const unreadable = Array.from({ length: 240 }, (_, index) => index + 1).filter((position) => {
      try {
        db.prepare('SELECT * FROM events WHERE position = ?').get(position);
        return false;
      } catch {
        return true;
      }
    });
    db.close();
    expect(unreadable.length).toBeGreaterThan(0);

    const result = verify(dir);
    expect(result.status).toBe(3);
    expect(result.stderr).toBe('');
    noStackTrace(result.stdout);
    const lines = brokenLines(result.stdout);
    expect(lines).toContainEqual(expect.stringMatching(/^BROKEN at position 4 \(stream agreement-small-0, revision 3, event [0-9a-f-]{36}\): the stored hash does not match the event: it was changed after it was appended$/));
    expect(lines).toContainEqual(expect.stringMatching(/^BROKEN at position 57 \(stream agreement-small-5, revision 6, event [0-9a-f-]{36}\): the stored hash does not match/));
    expect(lines).toContainEqual(expect.stringMatching(/^BROKEN at position 230 \(stream agreement-small-\d, revision \d+, event [0-9a-f-]{36}\): its data is not valid JSON$/));
    for (const position of unreadable) expect(lines).toContain(`BROKEN at position ${position}: its database page cannot be read (SQLITE_CORRUPT): the file is damaged here`);
    // Nothing else is broken; the event after the unreadable ones in their own stream could not be checked, and says so.
    expect(namedPositions(result.stdout).sort((a, b) => a - b)).toEqual([4, 57, 230, ...unreadable].sort((a, b) => a - b));
    const unchecked = result.stdout.split('\n').filter((line) => line.startsWith('UNCHECKED at '));
    expect(unchecked).toEqual([expect.stringMatching(/^UNCHECKED at position \d+ \(stream agreement-long, revision \d+, event [0-9a-f-]{36}\): could not be checked \(follows an unreadable event\)$/)]);
    expect(Number(/position (\d+)/.exec(unchecked[0]!)![1])).toBeGreaterThan(Math.max(...unreadable));
    expect(result.stdout).toContain(`BROKEN: ${lines.length} of 240 events are not what was appended\n`);
    expect(result.stdout).toContain('UNCHECKED: 1 of 240 events could not be checked (each follows an unreadable event in its stream)\n');
  }, 60_000);

  it('lists the first 100 broken positions and counts the rest', async () => {
    const dir = await ledger('many');
    sql(dir, `UPDATE events SET data = replace(data, '"round"', '"ROUND"') WHERE stream LIKE 'agreement-small-%'`);
    const result = verify(dir);
    expect(result.status).toBe(3);
    expect(brokenLines(result.stdout)).toHaveLength(100);
    expect(result.stdout).toContain('... and 100 more broken positions\n');
    expect(result.stdout).toContain('BROKEN: 200 of 240 events are not what was appended\n');
  }, 60_000);

  it('a file whose header is garbage: one line saying so, exit 3, no stack trace', async () => {
    const dir = await ledger('header');
    const fd = openSync(join(dir, 'ledger.sqlite'), 'r+');
    writeSync(fd, Buffer.alloc(4096, 'garbage!'), 0, 4096, 0);
    closeSync(fd);
    const result = verify(dir);
    expect(result.status).toBe(3);
    noStackTrace(result.stdout + result.stderr);
    expect(result.stdout).toMatch(/^BROKEN: the database file cannot be read: .+\n$/);
  }, 60_000);
});
