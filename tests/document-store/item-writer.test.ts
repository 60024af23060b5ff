import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredItem } from '../../src/document-store/port.js';
import { SqliteDocumentStore } from '../../src/document-store/sqlite-store.js';

const item = (seq: number, prev: number | null, start: string | null, end = start): StoredItem => ({
  key: `agreement-${seq % 3}`, seq, prev, json: JSON.stringify({ seq }), span: start === null ? null : { start, end: end! },
});

/** The table a model's items are in (see ItemTables). */
const tableOf = (db: Database.Database, model: string) =>
  `read_model_items_${db.prepare('SELECT id FROM read_model_item_tables WHERE model = ?').pluck().get(model) as number}`;

/** Items stored ahead of the checkpoint go through a writer thread; nobody may see the store without them. */
describe('items written by the item writer thread', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-item-writer-'));
    file = join(dir, 'read-models.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('are there for every read and commit that follows, nulls, spans and the widest span included', () => {
    const documents = new SqliteDocumentStore(file);
    const batch = Array.from({ length: 5000 }, (_, i) => item(i + 1, i === 0 ? null : i, i % 2 ? '2020-01-01' : null));
    batch[7] = item(8, 7, '2001-01-01', '2012-12-31');
    documents.commitItems('register', batch);
    documents.commitItems('register', [item(5001, 5000, '2021-03-18')]);
    // Read at once, from the store's own connection: it waits for the writer first.
    expect(documents.item('register', 1)).toEqual({ prev: null, json: '{"seq":1}' });
    expect(documents.item('register', 5001)).toEqual({ prev: 5000, json: '{"seq":5001}' });
    expect([...documents.allItems('register')]).toHaveLength(5001);
    // The 2001-2012 item is found in 2010 only if the widest span reached the store.
    expect(documents.itemsInSpan('register', '2010-06-01', '2010-06-30', { offset: 0, limit: 10 }).items.map((found) => found.seq)).toEqual([8]);
    documents.commit('register', 1, 5001, new Map([['agreement-1', '{}']]));
    documents.close();

    const reopened = new Database(file, { readonly: true });
    expect(reopened.prepare(`SELECT COUNT(*) FROM ${tableOf(reopened, 'register')}`).pluck().get()).toBe(5001);
    reopened.close();
  });

  it('stores keys and texts in any script exactly, however much longer their UTF-8 is than their length', () => {
    const documents = new SqliteDocumentStore(file);
    const texts = ['Côte d’Ivoire', 'Україна', '北京 🇪🇺', 'x'.repeat(5000), '€'.repeat(3000), 'a\u0000b "quoted" \\ back'];
    const batch = texts.map((text, i): StoredItem => ({ key: `${text.slice(0, 20)}-${i}`, seq: i + 1, prev: i === 0 ? null : i, json: JSON.stringify({ text }), span: null }));
    documents.commitItems('register', batch);
    expect([...documents.allItems('register')].sort((a, b) => a.seq - b.seq)).toEqual(batch);
    documents.close();
  });

  it('refuses every commit after a batch it could not write, so that no checkpoint passes the lost items', () => {
    const documents = new SqliteDocumentStore(file);
    documents.commitItems('register', [item(1, null, '2020-01-01')]);
    expect(documents.item('register', 1)).toBeDefined();
    // Another connection takes the table away: the writer's next batch fails.
    const other = new Database(file);
    const table = tableOf(other, 'register');
    other.exec(`DROP TABLE ${table}`);
    other.close();
    documents.commitItems('register', [item(2, 1, '2020-01-02')]);
    const commit = () => documents.commit('register', 1, 2, new Map([['agreement-1', '{}']]));
    expect(commit).toThrow(new RegExp(`items could not be stored: .*${table}`));
    // Still, on the second try: a projector that stops stores once more, and must not get through.
    expect(commit).toThrow(/items could not be stored/);
    expect(documents.checkpoint('register')).toBeUndefined();
    expect(documents.load('register', 'agreement-1')).toBeUndefined();
    documents.close();
  });
});
