/**
 * `vigil alerts` as a table: one line per alert, the rendered output taking the rest of the width.
 * Times are RFC 3339 to the millisecond with their zone: local time (TZ) with its offset, or UTC.
 */
import type { Alert } from '../../event/alert.js';
import { oneLine } from './alert-text.js';

const COLUMNS: [string, number][] = [
  ['TIME', 29],
  ['PRIORITY', 13],
  ['RULE', 30],
  ['HOST', 14],
  ['CONTAINER', 12],
  ['PROCESS', 18],
];

function cell(s: string, w: number): string {
  const v = oneLine(s);
  return v.length > w ? `${v.slice(0, w - 1)}…` : v.padEnd(w);
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** An alert's `time` (RFC 3339, UTC) in local time with its offset ("+01:00"; "Z" where that is UTC), or in UTC. */
export function tableTime(time: string, utc = false): string {
  const ms = Date.parse(time);
  if (!Number.isFinite(ms)) return time;
  // The offset in force at that instant (daylight saving time included).
  const offset = utc ? 0 : -new Date(ms).getTimezoneOffset();
  const wall = new Date(ms + offset * 60_000).toISOString().slice(0, 23);
  if (offset === 0) return `${wall}Z`;
  const abs = Math.abs(offset);
  return `${wall}${offset < 0 ? '-' : '+'}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

export interface TableOptions {
  /** Times in UTC rather than local time. */
  utc?: boolean;
}

export function tableHeader(): string {
  return `${COLUMNS.map(([h, w]) => h.padEnd(w)).join(' ')} OUTPUT`;
}

/** One row; OUTPUT takes what is left of `width`. */
export function tableRow(a: Alert, width: number, opts: TableOptions = {}): string {
  const p = a.event?.proc;
  const vals = [
    tableTime(a.time, opts.utc),
    a.priority,
    a.rule,
    a.hostname,
    p?.container_id || '-',
    p ? `${p.name}(${p.pid})` : '-',
  ];
  const fixed = COLUMNS.map(([, w], i) => cell(vals[i], w)).join(' ');
  const rest = Math.max(20, width - fixed.length - 1);
  return `${fixed} ${cell(a.output, rest).trimEnd()}`;
}
