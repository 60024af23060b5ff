import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredItem } from '../../src/document-store/port.js';
import { SqliteDocumentStore } from '../../src/document-store/sqlite-store.js';

const item = (key: string, seq: number, prev: number | null, day: string | null): StoredItem => ({
  key, seq, prev, json: JSON.stringify({ key, seq }), span: day === null ? null : { start: day, end: day },
});

const seqs = (items: Iterable<{ seq: number }>) => [...items].map(({ seq }) => seq);

/** Each model's items are in a table of their own: a new version takes over, a reset forgets, an old file is carried over. */
describe('read model items in SQLite', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-item-tables-'));
    file = join(dir, 'read-models.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps models apart, and a shadow that takes over brings its items and leaves none of the old ones', () => {
    const documents = new SqliteDocumentStore(file);
    documents.commit('register', 3, 2, new Map([['a', '{}']]), [item('a', 1, null, '2020-01-01'), item('a', 2, 1, '2020-02-01')]);
    documents.commit('calendar', 1, 2, new Map([['a', '{}']]), [item('a', 1, null, '2021-01-01')]);
    documents.commitItems('register@v4', [item('a', 1, null, '2022-01-01')]);
    documents.commit('register@v4', 4, 2, new Map([['a', '{"v":4}']]), [item('a', 2, 1, '2022-02-01')]);
    expect(documents.item('register', 1)?.json).toBe('{"key":"a","seq":1}');
    expect(seqs(documents.itemsInSpan('register', '2022-01-01', '2022-12-31', { offset: 0, limit: 10 }).items)).toEqual([]);

    documents.promote('register@v4', 'register');
    expect(seqs(documents.allItems('register'))).toEqual([1, 2]);
    expect(seqs(documents.itemsInSpan('register', '2022-01-01', '2022-12-31', { offset: 0, limit: 10 }).items)).toEqual([1, 2]);
    expect(documents.itemsInSpan('register', '2020-01-01', '2020-12-31', { offset: 0, limit: 10 }).total).toBe(0);
    expect([...documents.allItems('register@v4')]).toEqual([]);
    expect(seqs(documents.allItems('calendar'))).toEqual([1]);
    // Writes after the takeover go to the model's (new) table, through the writer thread too.
    documents.commitItems('register', [item('a', 3, 2, '2022-03-01')]);
    expect(documents.item('register', 3)).toEqual({ prev: 2, json: '{"key":"a","seq":3}' });
    documents.close();

    const db = new Database(file, { readonly: true });
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'read_model_items_%'").pluck().all();
    expect(tables).toHaveLength(2);
    db.close();
  });

  it('forgets a reset model\'s items, and stores its next ones as if it never had any', () => {
    const documents = new SqliteDocumentStore(file);
    documents.commit('register', 3, 1, new Map([['a', '{}']]), [item('a', 1, null, '2020-01-01')]);
    documents.reset('register');
    expect(documents.item('register', 1)).toBeUndefined();
    expect(documents.itemsInSpan('register', '2020-01-01', '2020-12-31', { offset: 0, limit: 10 })).toEqual({ total: 0, items: [], next: null });
    documents.commitItems('register', [item('b', 5, null, '2020-06-01')]);
    expect(seqs(documents.allItems('register'))).toEqual([5]);
    documents.close();
  });

  it('deletes a deleted document\'s items with it', () => {
    const documents = new SqliteDocumentStore(file);
    documents.commit('register', 3, 2, new Map([['a', '{}'], ['b', '{}']]), [item('a', 1, null, null), item('b', 2, null, null)]);
    documents.commit('register', 3, 3, new Map([['a', null]]));
    expect(seqs(documents.allItems('register'))).toEqual([2]);
    documents.close();
  });

  it('carries the items of a file written with one table for all models over to a table per model', () => {
    const old = new Database(file);
    old.exec(`
      CREATE TABLE read_model_items (
        model TEXT NOT NULL, seq INTEGER NOT NULL, key TEXT NOT NULL, prev INTEGER, item TEXT NOT NULL, span_start TEXT, span_end TEXT,
        PRIMARY KEY (model, seq)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX read_model_items_by_span ON read_model_items (model, span_start) WHERE span_start IS NOT NULL;
      CREATE TABLE read_model_spans (model TEXT PRIMARY KEY, widest_days INTEGER NOT NULL) STRICT;
      INSERT INTO read_model_spans VALUES ('register', 364);`);
    const insert = old.prepare('INSERT INTO read_model_items VALUES (?, ?, ?, ?, ?, ?, ?)');
    insert.run('register', 1, 'a', null, '{"one":1}', '2019-01-01', '2019-12-31');
    insert.run('register', 2, 'a', 1, '{"two":2}', null, null);
    insert.run('register@v4', 1, 'a', null, '{"shadow":1}', '2019-05-05', '2019-05-05');
    old.close();

    const documents = new SqliteDocumentStore(file);
    expect([...documents.allItems('register')]).toEqual([
      { key: 'a', seq: 1, prev: null, json: '{"one":1}', span: { start: '2019-01-01', end: '2019-12-31' } },
      { key: 'a', seq: 2, prev: 1, json: '{"two":2}', span: null },
    ]);
    expect(seqs(documents.itemsInSpan('register', '2019-06-01', '2019-06-30', { offset: 0, limit: 10 }).items)).toEqual([1]);
    expect(documents.item('register@v4', 1)?.json).toBe('{"shadow":1}');
    documents.close();

    const db = new Database(file, { readonly: true });
    expect(db.prepare("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'read_model_items'").pluck().get()).toBe(0);
    db.close();
    // Opening again finds nothing left to carry over.
    const again = new SqliteDocumentStore(file);
    expect(seqs(again.allItems('register'))).toEqual([1, 2]);
    again.close();
  });
});
