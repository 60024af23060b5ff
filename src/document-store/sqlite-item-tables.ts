import type Database from 'better-sqlite3';
import { COUNT_CAP } from './port.js';

/**
 * Each model's items in a table of their own (`read_model_items_<id>`), named in
 * `read_model_item_tables`, spans as day numbers (days.ts). A plain rowid table keyed by `seq` (a
 * log position): a rebuild appends at its end, and inserts cost less than in one shared table
 * keyed by (model, seq), whose keys would repeat the model's name. A table per model also makes a
 * new version's takeover a rename of the owner instead of an UPDATE of every row, and dropping a
 * model's items a DROP, not a DELETE.
 */
const CREATE_CATALOGUE = `
  CREATE TABLE IF NOT EXISTS read_model_item_tables (id INTEGER PRIMARY KEY, model TEXT NOT NULL UNIQUE) STRICT;`;

function createTable(table: string): string {
  return `
    CREATE TABLE ${table} (seq INTEGER PRIMARY KEY, key TEXT NOT NULL, prev INTEGER, item TEXT NOT NULL, span_start INTEGER, span_end INTEGER) STRICT;
    ${createSpanIndex(table)}`;
}

/**
 * Calendar order is the index's own: first day, last day, then seq (the rowid every entry ends
 * with), so a page after a cursor is a seek, not a sort of every item in the period.
 */
function createSpanIndex(table: string): string {
  return `CREATE INDEX IF NOT EXISTS ${table}_by_days ON ${table} (span_start, span_end) WHERE span_start IS NOT NULL;`;
}

/** A 'YYYY-MM-DD' column as a day number (see days.ts); julianday is exact at midnight. */
const DAY_OF = (column: string) => `CAST(julianday(${column}) - 2440587.5 AS INTEGER)`;

/** Puts an item, replacing the one with the same seq; the item writer's thread prepares it too. */
export function putItemSql(table: string): string {
  return `INSERT INTO ${table} (seq, key, prev, item, span_start, span_end) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (seq) DO UPDATE SET key = excluded.key, prev = excluded.prev, item = excluded.item, span_start = excluded.span_start, span_end = excluded.span_end`;
}

/** Only names made here reach SQL text. */
export function assertTableName(table: string): string {
  if (!/^read_model_items_\d+$/.test(table)) throw new Error(`not an item table: ${table}`);
  return table;
}

function statementsFor(db: Database.Database, table: string) {
  return {
    table,
    item: db.prepare(`SELECT prev, item AS json FROM ${table} WHERE seq = ?`),
    all: db.prepare(`SELECT key, seq, prev, item AS json, span_start, span_end FROM ${table} ORDER BY key, seq`),
    countInSpan: db.prepare(`SELECT COUNT(*) FROM (SELECT 1 FROM ${table} WHERE span_start BETWEEN ? AND ? AND span_end >= ? LIMIT ${COUNT_CAP + 1})`).pluck(),
    // (earliest, last, first, limit, offset): offsets are scanned past, so callers bound them.
    pageInSpan: db.prepare(
      `SELECT key, seq, prev, item AS json, span_start, span_end FROM ${table} WHERE span_start BETWEEN ? AND ? AND span_end >= ?
       ORDER BY span_start, span_end, seq LIMIT ? OFFSET ?`,
    ),
    // After a cursor (start, end, seq): the rest of its (start, end) group, then the groups after it.
    restOfGroup: db.prepare(`SELECT key, seq, prev, item AS json, span_start, span_end FROM ${table} WHERE span_start = ? AND span_end = ? AND seq > ? ORDER BY seq LIMIT ?`),
    // (cursor start, cursor end, earliest, last, first, limit)
    groupsAfter: db.prepare(
      `SELECT key, seq, prev, item AS json, span_start, span_end FROM ${table} WHERE (span_start, span_end) > (?, ?) AND span_start BETWEEN ? AND ? AND span_end >= ?
       ORDER BY span_start, span_end, seq LIMIT ?`,
    ),
    put: db.prepare(putItemSql(table)),
    removeOf: db.prepare(`DELETE FROM ${table} WHERE key = ?`),
  };
}

export type ItemTable = ReturnType<typeof statementsFor>;

export class ItemTables {
  private readonly byModel = new Map<string, ItemTable>();
  private readonly statements;

  constructor(private readonly db: Database.Database) {
    db.exec(CREATE_CATALOGUE);
    this.statements = {
      find: db.prepare('SELECT id FROM read_model_item_tables WHERE model = ?').pluck(),
      add: db.prepare('INSERT INTO read_model_item_tables (model) VALUES (?) RETURNING id').pluck(),
      remove: db.prepare('DELETE FROM read_model_item_tables WHERE model = ?'),
      rename: db.prepare('UPDATE read_model_item_tables SET model = ? WHERE model = ?'),
    };
    this.migrateSharedTable();
  }

  /** The model's table; undefined when it has no items (and `create` is false). */
  of(model: string, create: false): ItemTable | undefined;
  of(model: string, create: true): ItemTable;
  of(model: string, create: boolean): ItemTable | undefined {
    const known = this.byModel.get(model);
    if (known) return known;
    let id = this.statements.find.get(model) as number | undefined;
    if (id === undefined) {
      if (!create) return undefined;
      // Made in a transaction of its own: inside one later rolled back, it would stay known here but be gone.
      if (this.db.inTransaction) throw new Error(`the item table of ${model} must be made outside a transaction`);
      id = this.db.transaction(() => this.create(model)).immediate();
    }
    const name = `read_model_items_${id!}`;
    // Files made before the calendar's keyset order indexed the first day only.
    this.db.exec(`${createSpanIndex(name)} DROP INDEX IF EXISTS ${name}_by_span;`);
    const table = statementsFor(this.db, name);
    this.byModel.set(model, table);
    return table;
  }

  private create(model: string): number {
    const id = this.statements.add.get(model) as number;
    this.db.exec(createTable(`read_model_items_${id}`));
    return id;
  }

  /** Drops the model's items (inside the caller's transaction). */
  drop(model: string): void {
    const id = this.statements.find.get(model) as number | undefined;
    this.byModel.delete(model);
    if (id === undefined) return;
    this.db.exec(`DROP TABLE read_model_items_${id}`);
    this.statements.remove.run(model);
  }

  /** `from`'s items become `to`'s, whose own are dropped (inside the caller's transaction). */
  rename(from: string, to: string): void {
    this.drop(to);
    this.statements.rename.run(to, from);
    this.byModel.delete(from);
  }

  /**
   * Files written before tables per model kept every model's items in `read_model_items`, keyed by
   * (model, seq), spans as text: each model's rows are copied to a table of its own, once, then that table goes.
   */
  private migrateSharedTable(): void {
    const shared = this.db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'read_model_items'").get();
    if (!shared) return;
    this.db.transaction(() => {
      const models = this.db.prepare('SELECT DISTINCT model FROM read_model_items').pluck().all() as string[];
      for (const model of models) {
        const table = `read_model_items_${this.create(model)}`;
        this.db
          .prepare(
            `INSERT INTO ${table} (seq, key, prev, item, span_start, span_end)
             SELECT seq, key, prev, item, ${DAY_OF('span_start')}, ${DAY_OF('span_end')} FROM read_model_items WHERE model = ? ORDER BY seq`,
          )
          .run(model);
      }
      this.db.exec('DROP TABLE read_model_items');
    }).immediate();
  }
}
