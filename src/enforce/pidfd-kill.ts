/**
 * The user-space fallback: SIGKILL through a pidfd, so the signal can only reach the process the
 * event describes. After pidfd_open, /proc/PID/stat's start time (clock ticks since boot) must
 * match the event's proc.start_ts: a pid recycled before the open is refused, and one recycled
 * after it cannot be reached through the pidfd (ESRCH).
 */
import { closeSync, readFileSync } from 'node:fs';
import { bootToEpochNs } from '../kernel/clock.js';
import { pidfdOpen, pidfdSendSignal } from '../kernel/bpf-object.js';

const SIGKILL = 9;
const NS_PER_TICK = 1e7; // USER_HZ = 100 on Linux

export type KillOutcome = 'killed' | 'gone' | 'recycled';

/** Start time of a process in clock ticks since boot (/proc/PID/stat field 22), or null. */
function startTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return null;
  }
}

/** Kills pid if it is still the process that started at startTs (ns since the epoch). */
export function killByPidfd(pid: number, startTs: number): KillOutcome {
  let fd: number;
  try {
    fd = pidfdOpen(pid);
  } catch {
    return 'gone';
  }
  try {
    const ticks = startTicks(pid);
    if (ticks === null) return 'gone';
    const expected = Math.floor((startTs - bootToEpochNs()) / NS_PER_TICK);
    if (Math.abs(ticks - expected) > 1) return 'recycled';
    try {
      pidfdSendSignal(fd, SIGKILL);
    } catch {
      return 'gone';
    }
    return 'killed';
  } finally {
    closeSync(fd);
  }
}
