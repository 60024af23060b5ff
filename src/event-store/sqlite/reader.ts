import type Database from 'better-sqlite3';
import { IntegrityError, StoreCorruptError } from '../errors.js';
import { followChain, type ChainHead } from '../hash-chain.js';
import type { ReadModelEvent, ReadStreamOptions, StoredEvent } from '../port.js';
import { DamageSeen, PAGE_SIZE, type DamagedEvent } from '../reading.js';
import { DamageLocator, decodeLeanRow, decodeRow, isCorruption } from './reading.js';
import type { EventRow, LeanRow, Statements } from './schema.js';

/**
 * The SQLite store's reads of its file. Each row is decoded (one that does not decode is an
 * IntegrityError at its position); a stream read from revision 0 forwards is checked against its
 * hash chain from the text as stored; a page that cannot be read is located and named
 * (StoreCorruptError). Damage met is remembered for the store's health.
 */
export class SqliteReader {
  private readonly damage = new DamageSeen();
  private readonly locate: DamageLocator;

  constructor(
    db: Database.Database,
    private readonly stmt: Statements,
    private readonly assertOpen: () => void,
  ) {
    this.locate = new DamageLocator(db);
  }

  /**
   * Read whole, or up to `to`, from revision 0 forwards, a stream that is not what was appended is
   * refused at the first event that breaks its chain.
   */
  *stream(stream: string, options: ReadStreamOptions = {}): Generator<StoredEvent> {
    const backwards = options.direction === 'backwards';
    let low = backwards ? (options.to ?? 0) : (options.from ?? 0);
    let high = backwards ? (options.from ?? Number.MAX_SAFE_INTEGER) : (options.to ?? Number.MAX_SAFE_INTEGER);
    const checked = !backwards && low === 0;
    let head: ChainHead | undefined;
    try {
      while (low <= high) {
        this.assertOpen();
        let rows: EventRow[];
        try {
          rows = (backwards ? this.stmt.rangeBackwards : this.stmt.range).all(stream, low, high, PAGE_SIZE) as EventRow[];
        } catch (error) {
          throw isCorruption(error) ? this.locate.inStream(stream, low, high, error) : error;
        }
        for (const row of rows) {
          const event = decodeRow(row);
          if (checked) {
            const link = followChain(event, head, { dataJson: row[5], metadataJson: row[6] });
            if (link.broken) throw new IntegrityError(stream, event.position, event.revision, event.id, link.broken);
            head = link.head;
          }
          yield event;
        }
        if (rows.length < PAGE_SIZE) return;
        const lastRevision = rows[rows.length - 1]![3];
        if (backwards) high = lastRevision - 1;
        else low = lastRevision + 1;
      }
    } catch (error) {
      throw this.noted(error);
    }
  }

  readonly page = (fromPosition: number, limit: number, prefix: string | undefined): StoredEvent[] => {
    this.assertOpen();
    try {
      return this.pageRows<EventRow>(fromPosition, limit, () =>
        prefix === undefined ? this.stmt.page.all(fromPosition, limit) : this.stmt.pageWithPrefix.all(fromPosition, prefix.length, prefix, limit),
      ).map(decodeRow);
    } catch (error) {
      throw this.noted(error);
    }
  };

  readonly leanPage = (fromPosition: number, limit: number, prefix: string | undefined): ReadModelEvent[] => {
    this.assertOpen();
    try {
      return this.pageRows<LeanRow>(fromPosition, limit, () =>
        prefix === undefined ? this.stmt.leanPage.all(fromPosition, limit) : this.stmt.leanPageWithPrefix.all(fromPosition, prefix.length, prefix, limit),
      ).map(decodeLeanRow);
    } catch (error) {
      throw this.noted(error);
    }
  };

  /** The whole log for `npm run verify`: damaged places are named in order and the scan goes on. */
  *scan(): Generator<StoredEvent | DamagedEvent> {
    const head = this.stmt.head.get() as number;
    for (const item of this.locate.scan(this.stmt.page, head)) {
      this.assertOpen();
      yield item;
    }
  }

  /** Damage is remembered for health(); any other error passes through as it is. */
  noted(error: unknown): unknown {
    if (error instanceof IntegrityError || error instanceof StoreCorruptError) this.damage.note(error);
    return error;
  }

  damageSeen(): string[] {
    return this.damage.reasons();
  }

  private pageRows<Row>(fromPosition: number, limit: number, read: () => unknown[]): Row[] {
    try {
      return read() as Row[];
    } catch (error) {
      throw isCorruption(error) ? this.locate.inLog(fromPosition, limit, error) : error;
    }
  }
}
