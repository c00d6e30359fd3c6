/**
 * A least-recently-used map bounded by count and by total weight (roughly bytes). Map keeps
 * insertion order, so re-inserting on every hit makes the first key the least recently used.
 */
export class BoundedCache<V> {
  private readonly items = new Map<string, { value: V; weight: number }>();
  private total = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxWeight: number,
  ) {}

  get(key: string): V | undefined {
    const item = this.items.get(key);
    if (!item) return undefined;
    this.items.delete(key);
    this.items.set(key, item);
    return item.value;
  }

  set(key: string, value: V, weight: number): void {
    this.delete(key);
    // Something larger than the whole budget is served but never kept.
    if (weight > this.maxWeight) return;
    this.items.set(key, { value, weight });
    this.total += weight;
    while (this.items.size > this.maxEntries || this.total > this.maxWeight) {
      this.delete(this.items.keys().next().value!);
    }
  }

  delete(key: string): void {
    const item = this.items.get(key);
    if (!item) return;
    this.items.delete(key);
    this.total -= item.weight;
  }

  get size(): number {
    return this.items.size;
  }

  get weight(): number {
    return this.total;
  }
}
