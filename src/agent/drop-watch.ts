/**
 * Kernel drops as alerts. The probes count every record the ring buffer had no
 * room for (per CPU, summed by Sensor.stats()); a blind spot on the host is
 * itself a security event, so growth of that counter becomes a Critical alert
 * that travels the same outputs path as rule alerts.
 *
 * The alert's event is the agent's own process (the one that fell behind), as for
 * every alert the agent raises about itself (agent-alert.ts).
 */
import { readFileSync } from 'node:fs';
import type { Alert } from '../event/alert.js';
import type { ProcessInfo } from '../event/types.js';
import type { EventCreds } from '../sensor/process-table.js';
import { agentAlert } from './agent-alert.js';

/** The synthetic rule name of drop alerts (stable: SIEM searches use it). */
export const DROP_RULE = 'Events dropped';

export interface DropWatchOptions {
  /** The kernel's drop counter, summed over CPUs, now (it restarts at 0 when the probes reload). */
  readDropped: () => number;
  /** The ring buffer size in bytes, for the alert text. */
  ringBytes: () => number;
  /** The agent's process as an event carries it. */
  agentProcess: () => ProcessInfo;
  userName?: (uid: number) => string;
  groupName?: (gid: number) => string;
  onAlert: (alert: Alert) => void;
  hostname: string;
}

export class DropWatch {
  private last = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: DropWatchOptions) {}

  /** Polls every `intervalMs` until stop(). */
  start(intervalMs = 1000): void {
    this.timer ??= setInterval(() => this.check(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Reads the counter (or takes `total`, e.g. the last stats of a stopped sensor) and raises
   * one alert for the drops since the previous check. Returns it, or null when nothing was lost.
   */
  check(total = this.opts.readDropped()): Alert | null {
    // A lower total means new probes (reload): their counter started again from 0.
    const since = total >= this.last ? total - this.last : total;
    this.last = total;
    if (since === 0) return null;
    const o = this.opts;
    const proc = o.agentProcess();
    const names = { user: o.userName?.(proc.uid) ?? '', group: o.groupName?.(proc.gid) ?? '' };
    const alert = dropAlert(since, total, o.ringBytes(), proc, names, o.hostname);
    this.opts.onAlert(alert);
    return alert;
  }

  /** Call when the probes were replaced: their counter starts from 0. */
  resetBaseline(): void {
    this.last = 0;
  }
}

/** What the process table needs to describe the agent itself. */
export function selfCreds(): EventCreds {
  let loginuid = -1;
  try {
    const v = Number(readFileSync('/proc/self/loginuid', 'utf8'));
    loginuid = v === 4294967295 ? -1 : v;
  } catch {
    // no audit support: unset
  }
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  return {
    tid: process.pid,
    ppid: process.ppid,
    uid,
    gid,
    euid: process.geteuid?.() ?? uid,
    egid: process.getegid?.() ?? gid,
    loginuid,
    comm: readFileSync('/proc/self/comm', 'utf8').trim(),
  };
}

export function dropAlert(
  dropped: number,
  total: number,
  ringBytes: number,
  proc: ProcessInfo,
  names: { user: string; group: string },
  hostname: string,
): Alert {
  const spec = {
    rule: DROP_RULE,
    tags: ['vigil', 'drops', 'blind_spot'],
    output:
      `Events dropped: the kernel lost ${dropped} events since the last check (${total} since the ` +
      `probes started; ring buffer ${ringBytes} bytes): vigil did not see what happened in them ` +
      `(raise sensors.ring_buffer_bytes or lower the event rate)`,
    values: { dropped, dropped_total: total, ring_buffer_bytes: ringBytes },
  };
  return agentAlert(spec, proc, names, hostname);
}
