/**
 * Counters for the per-event path: a plain number per label value, incremented
 * in place. prom-client is only touched at scrape time (see metrics.ts), so
 * counting an event costs a map lookup and an add.
 */

/** Label values beyond this many are counted under OVERFLOW_LABEL, so memory stays bounded. */
export const MAX_LABEL_VALUES = 4096;
export const OVERFLOW_LABEL = 'other';

export class CounterMap {
  // One mutable cell per key: an increment is one hash lookup and an add, no Map.set.
  private readonly cells = new Map<string, { n: number }>();

  constructor(private readonly maxKeys = MAX_LABEL_VALUES) {}

  add(key: string, n = 1): void {
    const cell = this.cells.get(key);
    if (cell !== undefined) {
      cell.n += n;
      return;
    }
    const target = this.cells.size < this.maxKeys ? key : OVERFLOW_LABEL;
    const existing = this.cells.get(target);
    if (existing !== undefined) existing.n += n;
    else this.cells.set(target, { n });
  }

  get(key: string): number {
    return this.cells.get(key)?.n ?? 0;
  }

  *entries(): IterableIterator<[string, number]> {
    for (const [key, cell] of this.cells) yield [key, cell.n];
  }
}

/**
 * A histogram as plain bucket counts (cumulative buckets are computed at scrape
 * time). `bounds` are the upper bounds, ascending; +Inf is implicit.
 */
export class BucketCounts {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number, times = 1): void {
    // Linear scan: a dozen bounds, and most values land in the first few.
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]) i++;
    this.counts[i] += times;
    this.sum += value * times;
    this.count += times;
  }
}
