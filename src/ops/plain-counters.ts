/**
 * Counters for the per-event path: a plain number per label value, incremented
 * in place. prom-client is only touched at scrape time (see metrics.ts), so
 * counting an event costs a map lookup and an add.
 */

/** Label values beyond this many are counted under OVERFLOW_LABEL, so memory stays bounded. */
export const MAX_LABEL_VALUES = 4096;
export const OVERFLOW_LABEL = 'other';

export class CounterMap {
  private readonly counts = new Map<string, number>();

  constructor(private readonly maxKeys = MAX_LABEL_VALUES) {}

  add(key: string, n = 1): void {
    const prev = this.counts.get(key);
    if (prev !== undefined) {
      this.counts.set(key, prev + n);
    } else if (this.counts.size < this.maxKeys) {
      this.counts.set(key, n);
    } else {
      this.counts.set(OVERFLOW_LABEL, (this.counts.get(OVERFLOW_LABEL) ?? 0) + n);
    }
  }

  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  entries(): IterableIterator<[string, number]> {
    return this.counts.entries();
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
