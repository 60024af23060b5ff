import type { StoredItem } from '../document-store/port.js';

/**
 * The items a projector folded and has not stored yet, by seq, already as they are stored (text
 * keeps the heap small). Handed out in log order: the items table is ordered by seq, so a rebuild
 * appends at its end.
 */
export class PendingItems {
  private items = new Map<number, StoredItem>();

  set(item: StoredItem): void {
    this.items.set(item.seq, item);
  }

  /** The pending item at `seq`, if it is one of `key`'s. */
  get(seq: number, key: string): StoredItem | undefined {
    const item = this.items.get(seq);
    return item?.key === key ? item : undefined;
  }

  /** Forgets a document's items (the document was deleted). */
  dropKey(key: string): void {
    for (const [seq, item] of this.items) if (item.key === key) this.items.delete(seq);
  }

  /** In log order; only those whose seq is after `position` (added since a checkpoint there) if given. */
  inOrder(position = Number.NEGATIVE_INFINITY): StoredItem[] {
    const found: StoredItem[] = [];
    for (const item of this.items.values()) if (item.seq > position) found.push(item);
    return found.sort(bySeq);
  }

  /** Forgets these, once stored (not before: a store that fails leaves them pending). */
  stored(items: readonly StoredItem[]): void {
    if (items.length === this.items.size) this.items = new Map();
    else for (const item of items) this.items.delete(item.seq);
  }
}

const bySeq = (a: StoredItem, b: StoredItem) => a.seq - b.seq;
