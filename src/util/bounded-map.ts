/**
 * A Map that forgets its least recently used entries once their total weight passes `capacity`.
 * Each entry weighs 1 unless `weigh` says otherwise: caches of agreements weigh them by their size,
 * since one agreement of 2,000 steps holds as much memory as a hundred of 20.
 */
export class BoundedMap<K, V> {
  private readonly entries = new Map<K, V>();
  private total = 0;

  constructor(
    private readonly capacity: number,
    /** Must give the same weight for the same value each time (cached values are not changed in place). */
    private readonly weigh: (value: V) => number = () => 1,
  ) {}

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.delete(key);
    this.entries.set(key, value);
    this.total += this.weigh(value);
    // The newest entry stays even if it alone weighs more than the capacity.
    while (this.total > this.capacity && this.entries.size > 1) {
      const [oldest, old] = this.entries.entries().next().value!;
      this.entries.delete(oldest);
      this.total -= this.weigh(old);
    }
  }

  delete(key: K): void {
    const value = this.entries.get(key);
    if (value === undefined) return;
    this.entries.delete(key);
    this.total -= this.weigh(value);
  }

  get size(): number {
    return this.entries.size;
  }

  get weight(): number {
    return this.total;
  }
}
