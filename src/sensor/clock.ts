/**
 * Kernel timestamps are CLOCK_BOOTTIME ns (bpf_ktime_get_boot_ns); events carry
 * ns since the epoch. The offset between the two is measured once.
 *
 * Node has no BOOTTIME clock, but process.hrtime is CLOCK_MONOTONIC, which
 * counts from the same origin and differs from BOOTTIME only by the time spent
 * suspended. So: offset = REALTIME - MONOTONIC, sampled right after Date.now()
 * ticks over to a new millisecond (so the millisecond clock is exact to within
 * the few µs the loop takes), plus the suspend time, which /proc/uptime
 * (BOOTTIME, 10 ms resolution) reveals when it is more than its resolution.
 * Error: tens of µs without suspend; about 10 ms after a suspend; and whatever
 * NTP later slews the wall clock by (the offset is not re-measured).
 */
import { readFileSync } from 'node:fs';

function suspendedNs(monotonicNs: number): number {
  try {
    const uptimeS = Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]);
    const diff = uptimeS * 1e9 - monotonicNs;
    // /proc/uptime is rounded to 10 ms: smaller differences are that rounding.
    return diff > 20e6 ? diff : 0;
  } catch {
    return 0;
  }
}

/** Add to a BOOTTIME ns value to get ns since the epoch. */
export function measureBootToEpochNs(): number {
  const start = Date.now();
  let now = start;
  while (now === start) now = Date.now();
  const mono = Number(process.hrtime.bigint());
  return now * 1e6 - (mono + suspendedNs(mono));
}

let cached: number | undefined;
/** The offset, measured on first use. */
export function bootToEpochNs(): number {
  cached ??= measureBootToEpochNs();
  return cached;
}
