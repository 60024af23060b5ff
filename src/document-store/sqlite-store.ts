import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Checkpointer } from '../event-store/sqlite/checkpointer.js';
import { COUNT_CAP, decodeSpanCursor, encodeSpanCursor, type Checkpoint, type DocumentStore, type ItemPage, type SpanPage, type StoredItem } from './port.js';
import { ItemWriter } from './item-writer.js';
import { dayNumber, dayText } from './days.js';
import { ItemTables } from './sqlite-item-tables.js';

/** How the item writer's thread keeps a model's widest span. */
const WIDEST_SQL = {
  widestSql: 'SELECT widest_days FROM read_model_spans WHERE model = ?',
  setWidestSql: 'INSERT INTO read_model_spans (model, widest_days) VALUES (?, ?) ON CONFLICT (model) DO UPDATE SET widest_days = excluded.widest_days',
};

/**
 * Read models in the same SQLite file as the log, in tables of their own, on a connection of
 * their own. A commit writes the changed documents and the checkpoint in one transaction, so a
 * crash can neither apply an event twice nor skip one. synchronous=NORMAL: a power loss can lose
 * the last commits, which the projector then folds again from the older checkpoint.
 */
export class SqliteDocumentStore implements DocumentStore {
  private readonly db: Database.Database;
  private readonly statements;
  private readonly commitNow;
  private itemWriter: ItemWriter | undefined;
  private readonly itemTables: ItemTables;

  private readonly checkpointer: Checkpointer;

  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    // 16 KiB pages (files made before keep theirs): a rebuild's item inserts take fewer write calls
    // than on 4 KiB pages; larger pages would make each live commit write more.
    this.db.pragma('page_size = 16384');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    // A rebuild commits MiBs at once; copied back by the committing thread, that doubled its
    // cost. A worker copies it instead, beside the fold.
    this.db.pragma('wal_autocheckpoint = 0');
    this.checkpointer = new Checkpointer(file, () => undefined, 1, 1000, 300);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS read_model_documents (
        model TEXT NOT NULL, key TEXT NOT NULL, document TEXT NOT NULL, PRIMARY KEY (model, key)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS read_model_checkpoints (
        model TEXT PRIMARY KEY, version INTEGER NOT NULL, position INTEGER NOT NULL,
        failed_position INTEGER, failed_error TEXT
      ) STRICT;
      -- The longest span of a model's items, in days: an item overlapping a period starts at most
      -- that long before it, which bounds the index range a period query reads on both sides.
      CREATE TABLE IF NOT EXISTS read_model_spans (model TEXT PRIMARY KEY, widest_days INTEGER NOT NULL) STRICT;`);
    // Items (in a table per model: see ItemTables) in the order folds add them, seq being a log
    // position, so a rebuild appends at the end. No index by key: a document's items are chained
    // (prev), and an index written in the log's interleaved order cost a rebuild more than all the
    // rest of the writing.
    this.itemTables = new ItemTables(this.db);
    this.statements = {
      checkpoint: this.db.prepare('SELECT version, position, failed_position, failed_error FROM read_model_checkpoints WHERE model = ?'),
      load: this.db.prepare('SELECT document FROM read_model_documents WHERE model = ? AND key = ?').pluck(),
      loadAll: this.db.prepare('SELECT key, document FROM read_model_documents WHERE model = ? ORDER BY key').raw(true),
      put: this.db.prepare('INSERT INTO read_model_documents (model, key, document) VALUES (?, ?, ?) ON CONFLICT (model, key) DO UPDATE SET document = excluded.document'),
      remove: this.db.prepare('DELETE FROM read_model_documents WHERE model = ? AND key = ?'),
      setCheckpoint: this.db.prepare(
        `INSERT INTO read_model_checkpoints (model, version, position, failed_position, failed_error) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (model) DO UPDATE SET version = excluded.version, position = excluded.position,
           failed_position = excluded.failed_position, failed_error = excluded.failed_error`,
      ),
      removeAll: this.db.prepare('DELETE FROM read_model_documents WHERE model = ?'),
      removeCheckpoint: this.db.prepare('DELETE FROM read_model_checkpoints WHERE model = ?'),
      renameDocuments: this.db.prepare('UPDATE read_model_documents SET model = ? WHERE model = ?'),
      widest: this.db.prepare(WIDEST_SQL.widestSql).pluck(),
      setWidest: this.db.prepare(WIDEST_SQL.setWidestSql),
      removeWidest: this.db.prepare('DELETE FROM read_model_spans WHERE model = ?'),
      renameWidest: this.db.prepare('UPDATE read_model_spans SET model = ? WHERE model = ?'),
      renameCheckpoint: this.db.prepare('UPDATE read_model_checkpoints SET model = ? WHERE model = ?'),
    };
    this.commitNow = this.db.transaction((model: string, version: number, position: number, changes: ReadonlyMap<string, string | null>, items: readonly StoredItem[]) => {
      for (const [key, json] of changes) {
        if (json !== null) this.statements.put.run(model, key, json);
        else {
          this.statements.remove.run(model, key);
          this.itemTables.of(model, false)?.removeOf.run(key);
        }
      }
      this.putItems(model, items);
      this.statements.setCheckpoint.run(model, version, position, null, null);
    });
  }

  checkpoint(model: string): Checkpoint | undefined {
    this.settle();
    const row = this.statements.checkpoint.get(model) as
      | { version: number; position: number; failed_position: number | null; failed_error: string | null }
      | undefined;
    if (!row) return undefined;
    return {
      version: row.version,
      position: row.position,
      ...(row.failed_position !== null ? { failed: { position: row.failed_position, error: row.failed_error ?? '' } } : {}),
    };
  }

  load(model: string, key: string): unknown {
    this.settle();
    const json = this.statements.load.get(model, key) as string | undefined;
    return json === undefined ? undefined : JSON.parse(json);
  }

  *loadAll(model: string): Iterable<[string, unknown]> {
    this.settle();
    const rows = this.statements.loadAll.all(model) as Array<[string, string]>;
    for (const [key, json] of rows) yield [key, JSON.parse(json)];
  }

  item(model: string, seq: number): { prev: number | null; json: string } | undefined {
    this.settle();
    return this.itemTables.of(model, false)?.item.get(seq) as { prev: number | null; json: string } | undefined;
  }

  *allItems(model: string): Iterable<StoredItem> {
    this.settle();
    const table = this.itemTables.of(model, false);
    if (!table) return;
    for (const row of table.all.iterate() as Iterable<{ key: string; seq: number; prev: number | null; json: string; span_start: number | null; span_end: number | null }>) {
      yield { key: row.key, seq: row.seq, prev: row.prev, json: row.json, span: row.span_start === null ? null : { start: dayText(row.span_start), end: dayText(row.span_end!) } };
    }
  }

  itemsInSpan(model: string, start: string, end: string, { after, offset = 0, limit }: SpanPage): ItemPage {
    this.settle();
    const cursor = after === undefined ? undefined : decodeSpanCursor(after);
    const table = this.itemTables.of(model, false);
    if (!table) return { total: 0, items: [], next: null };
    // An item overlapping the period starts at most the widest span before it.
    const [first, last] = [dayNumber(start), dayNumber(end)];
    const earliest = first - this.widestDays(model);
    const counted = table.countInSpan.get(earliest, last, first) as number;
    let rows: SpanRow[];
    if (cursor === undefined) rows = table.pageInSpan.all(earliest, last, first, limit + 1, offset) as SpanRow[];
    else {
      rows = table.restOfGroup.all(cursor.start, cursor.end, cursor.seq, limit + 1) as SpanRow[];
      if (rows.length <= limit) rows.push(...(table.groupsAfter.all(cursor.start, cursor.end, earliest, last, first, limit + 1 - rows.length) as SpanRow[]));
    }
    // One row more than asked says whether there is a next page.
    const page = rows.slice(0, limit);
    const lastRow = page[page.length - 1];
    return {
      ...(counted > COUNT_CAP ? { total: null, totalAtLeast: COUNT_CAP + 1 } : { total: counted }),
      items: page.map(({ key, seq, prev, json }) => ({ key, seq, prev, json })),
      next: lastRow && rows.length > limit ? encodeSpanCursor({ start: lastRow.span_start, end: lastRow.span_end, seq: lastRow.seq }) : null,
    };
  }

  /** Longest span of the model's items so far, in days (kept up to date by commits, never shrinks). */
  private widestDays(model: string): number {
    return (this.statements.widest.get(model) as number | undefined) ?? 0;
  }

  commit(model: string, version: number, position: number, changes: ReadonlyMap<string, string | null>, items: readonly StoredItem[] = []): void {
    this.itemWriter?.assertAllWritten();
    // The model's item table is made in a transaction of its own: one rolled back would leave it known here but gone.
    if (items.length > 0) this.itemTables.of(model, true);
    this.commitNow.immediate(model, version, position, changes, items);
    this.checkpointer.noteCommit();
  }

  /**
   * Written by the item writer's thread: this returns at once, and everything else here waits for
   * it (`settle`). A batch that fails makes every later `commit` throw (see `assertAllWritten`).
   */
  commitItems(model: string, items: readonly StoredItem[]): void {
    if (items.length === 0) return;
    // Created here, on this connection, before the writer's thread is sent anything for it.
    const { table } = this.itemTables.of(model, true);
    this.itemWriter ??= new ItemWriter(this.file, WIDEST_SQL);
    this.itemWriter.write(model, table, items, widestOf(items));
    this.checkpointer.noteCommit();
  }

  private putItems(model: string, items: readonly StoredItem[]): void {
    if (items.length === 0) return;
    const { put } = this.itemTables.of(model, true);
    for (const { key, seq, prev, json, span } of items) put.run(seq, key, prev, json, span ? dayNumber(span.start) : null, span ? dayNumber(span.end) : null);
    const widest = widestOf(items);
    if (widest > this.widestDays(model)) this.statements.setWidest.run(model, widest);
  }

  /** A writer whose batch failed is replaced: the projector writes those items again from its checkpoint. */
  recover(): void {
    if (!this.itemWriter?.broken) return;
    try {
      this.itemWriter.closeSync();
    } catch {
      // It already said why it failed; its thread is ended either way.
    }
    this.itemWriter = undefined;
  }

  /** Waits for the items on their way to the file: nothing is read or committed past them. */
  private settle(): void {
    this.itemWriter?.settle();
  }

  fail(model: string, version: number, failed: { position: number; error: string }): void {
    this.settle();
    const position = this.checkpoint(model)?.position ?? 0;
    this.statements.setCheckpoint.run(model, version, position, failed.position, failed.error);
  }

  reset(model: string): void {
    this.settle();
    this.db.transaction(() => {
      this.statements.removeAll.run(model);
      this.itemTables.drop(model);
      this.statements.removeWidest.run(model);
      this.statements.removeCheckpoint.run(model);
    }).immediate();
  }

  promote(shadow: string, model: string): void {
    this.settle();
    this.db.transaction(() => {
      this.statements.removeAll.run(model);
      this.statements.removeCheckpoint.run(model);
      this.statements.renameDocuments.run(model, shadow);
      this.itemTables.rename(shadow, model);
      this.statements.removeWidest.run(model);
      this.statements.renameWidest.run(model, shadow);
      this.statements.renameCheckpoint.run(model, shadow);
    }).immediate();
  }

  close(): void {
    this.itemWriter?.closeSync();
    this.checkpointer.closeSync();
    this.db.close();
  }
}

/** The longest span among these items, in days. */
function widestOf(items: readonly StoredItem[]): number {
  let widest = 0;
  for (const { span } of items) if (span && span.end !== span.start) widest = Math.max(widest, dayNumber(span.end) - dayNumber(span.start));
  return widest;
}

type SpanRow = { key: string; seq: number; prev: number | null; json: string; span_start: number; span_end: number };
