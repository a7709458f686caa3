/**
 * Kernel timestamps are CLOCK_BOOTTIME ns (bpf_ktime_get_boot_ns); events carry
 * ns since the epoch. The offset between the two is measured once.
 *
 * Node has no BOOTTIME clock, but process.hrtime is CLOCK_MONOTONIC, which
 * counts from the same origin and differs from BOOTTIME only by the time spent
 * suspended. So: offset = REALTIME - MONOTONIC, sampled right after Date.now()
 * ticks over to a new millisecond (so the millisecond clock is exact to within
 * the few µs the loop takes), plus the suspend time, which /proc/uptime
 * (BOOTTIME, 10 ms resolution) reveals when it is more than its resolution; the best of a
 * few samples of each.
 * Error: tens of µs without suspend; about 10 ms after a suspend; and whatever
 * NTP later slews the wall clock by (the offset is not re-measured).
 */
import { readFileSync } from 'node:fs';

/** BOOTTIME (/proc/uptime, 10 ms resolution) minus MONOTONIC, in ns. */
function uptimeMinusMonotonicNs(): number {
  try {
    const mono = Number(process.hrtime.bigint());
    const uptimeS = Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]);
    return uptimeS * 1e9 - mono;
  } catch {
    return 0;
  }
}

const SAMPLES = 5;

/**
 * Add to a BOOTTIME ns value to get ns since the epoch. Sampled a few times, keeping the best
 * sample: a thread preempted between reading two clocks (a loaded host) makes one sample wrong by
 * the time it waited, tens of milliseconds, and only ever in one direction.
 */
export function measureBootToEpochNs(): number {
  let bestWindow = Infinity;
  let offset = 0;
  let suspended = Infinity;
  for (let i = 0; i < SAMPLES; i++) {
    const start = Date.now();
    let now = start;
    let before = process.hrtime.bigint();
    while (now === start) {
      before = process.hrtime.bigint();
      now = Date.now();
    }
    const after = process.hrtime.bigint();
    // The millisecond ticked over between `before` and `after`: the narrower, the more exact.
    const window = Number(after - before);
    if (window < bestWindow) {
      bestWindow = window;
      offset = now * 1e6 - Number(after);
    }
    // Preemption between the two reads only makes this larger: the smallest is the truest.
    suspended = Math.min(suspended, uptimeMinusMonotonicNs());
  }
  // /proc/uptime is rounded to 10 ms: smaller differences are that rounding, not a suspend.
  return offset - (suspended > 20e6 ? suspended : 0);
}

let cached: number | undefined;
/** The offset, measured on first use. */
export function bootToEpochNs(): number {
  cached ??= measureBootToEpochNs();
  return cached;
}
