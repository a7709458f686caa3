/**
 * Reading the store for `vigil alerts`: turning the command's options into a store query and a
 * JSONata predicate, and laying alerts out as a table.
 */
import jsonata from 'jsonata';
import type { Alert } from '../event/alert.js';
import { oneLine } from './format-text.js';
import { parsePriority, priorityRank } from './output.js';
import type { AlertQuery } from './store.js';

const UNITS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86_400e3, w: 604_800e3 };

/** "90s", "10m", "2h", "7d", "1w", or an ISO time: the earliest time wanted, in ms. */
export function parseSince(s: string, now = Date.now()): number {
  const m = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(s.trim());
  if (m) return now - Number(m[1]) * UNITS[m[2]];
  const t = Date.parse(s);
  if (Number.isFinite(t)) return t;
  throw new Error(`--since: "${s}" is neither a duration (30s, 10m, 2h, 7d, 1w) nor a date`);
}

export interface AlertFilterOptions {
  since?: string;
  rule?: string;
  priority?: string;
  container?: string;
  where?: string;
}

export interface AlertFilter {
  query: AlertQuery;
  /** The --where predicate; undefined when there is none. */
  where?: (a: Alert) => Promise<boolean>;
}

export function buildFilter(o: AlertFilterOptions): AlertFilter {
  const query: AlertQuery = {};
  if (o.since !== undefined) query.sinceMs = parseSince(o.since);
  if (o.rule !== undefined) query.rule = o.rule;
  if (o.priority !== undefined) query.maxRank = priorityRank(parsePriority(o.priority));
  if (o.container !== undefined) query.containerId = o.container;
  if (o.where === undefined) return { query };
  let expr: jsonata.Expression;
  try {
    expr = jsonata(o.where);
  } catch (err) {
    throw new Error(`--where: not valid JSONata: ${(err as Error).message}`, { cause: err });
  }
  return { query, where: async (a) => !!(await expr.evaluate(a)) };
}

const COLUMNS: [string, number][] = [
  ['TIME', 23],
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

export function tableHeader(): string {
  return `${COLUMNS.map(([h, w]) => h.padEnd(w)).join(' ')} OUTPUT`;
}

/** One row; OUTPUT takes what is left of `width`. */
export function tableRow(a: Alert, width: number): string {
  const p = a.event?.proc;
  const vals = [
    a.time.slice(0, 23),
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
