/**
 * Reading the store for `vigil alerts`: turning the command's options into a store query (SQL,
 * parameterised), a JSONata predicate and a bound on how many, then reading the alerts in the order
 * they are printed (formats/alert-table.ts lays them out).
 */
import type jsonata from 'jsonata';
import { compileJsonata } from '../jsonata-expr.js';
import type { Alert } from '../../event/alert.js';
import { parsePriority, priorityRank } from '../priority.js';
import type { AlertQuery, AlertStore } from './alert-store.js';

const UNITS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86_400e3, w: 604_800e3 };
const DAYS: Record<string, number> = { yesterday: -1, today: 0, tomorrow: 1 };

/**
 * A time bound as journalctl takes one, in ms: a duration back from now ("90s", "10m", "2h ago",
 * "-7d", "1w"), "now", "today", "yesterday", "tomorrow" (local midnight), or a date, in local time
 * unless it names its zone ("2026-11-24", "2026-11-24 08:00", "2026-11-24T08:00:00Z").
 * `option` names the option in the error.
 */
export function parseTimeBound(s: string, option = '--since', now = Date.now()): number {
  const v = s.trim();
  const lower = v.toLowerCase();
  const m = /^-?(\d+(?:\.\d+)?) ?([smhdw])(?: ago)?$/.exec(lower);
  if (m) return now - Number(m[1]) * UNITS[m[2]];
  if (lower === 'now') return now;
  if (lower in DAYS) {
    const d = new Date(now);
    d.setHours(0, 0, 0, 0);
    d.setDate(d.getDate() + DAYS[lower]);
    return d.getTime();
  }
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (day) return new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3])).getTime();
  const t = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}/.test(v) ? Date.parse(v) : NaN;
  if (Number.isFinite(t)) return t;
  throw new Error(
    `${option}: "${s}" is neither a duration (30s, 10m, 2h, 7d, 1w), now, today, yesterday, ` +
      'nor a date (2026-11-24, 2026-11-24 08:00, 2026-11-24T08:00:00Z)',
  );
}

/** How many alerts -n asks for, and from which end. */
export interface LineBound {
  count: number;
  /** +N: the oldest N; N: the newest N. */
  fromOldest: boolean;
}

/** -n as journalctl takes it: N (the newest N), +N (the oldest N), all; bare -n is 10. */
export function parseLines(v: string | true): LineBound | undefined {
  if (v === true) return { count: 10, fromOldest: false };
  const s = v.trim();
  if (s === 'all') return undefined;
  const m = /^(\+?)(\d+)$/.exec(s);
  if (!m) {
    throw new Error(`-n: "${v}" is not a number of alerts (N for the newest N, +N for the oldest N, or all)`);
  }
  return { count: Number(m[2]), fromOldest: m[1] === '+' };
}

/** --rule's pattern as SQL LIKE's: `*` any run of characters, `?` one, everything else literal. */
export function ruleLikePattern(glob: string): string {
  return glob.replace(/[\\%_*?]/g, (c) => (c === '*' ? '%' : c === '?' ? '_' : `\\${c}`));
}

export interface AlertFilterOptions {
  since?: string;
  until?: string;
  rule?: string;
  priority?: string;
  container?: string;
  where?: string;
  /** -n: N, +N, all, or true for a bare -n. */
  lines?: string | true;
  reverse?: boolean;
}

export interface AlertFilter {
  query: AlertQuery;
  /** The --where predicate; undefined when there is none. */
  where?: (a: Alert) => Promise<boolean>;
  /** -n; undefined for every alert. */
  lines?: LineBound;
  /** Newest first. */
  reverse: boolean;
}

export function buildFilter(o: AlertFilterOptions): AlertFilter {
  const query: AlertQuery = {};
  if (o.since !== undefined) query.sinceMs = parseTimeBound(o.since, '--since');
  if (o.until !== undefined) query.untilMs = parseTimeBound(o.until, '--until');
  if (o.rule !== undefined) query.ruleLike = ruleLikePattern(o.rule);
  if (o.priority !== undefined) query.maxRank = priorityRank(parsePriority(o.priority));
  if (o.container !== undefined) query.containerId = o.container;
  const filter: AlertFilter = {
    query,
    lines: o.lines === undefined ? undefined : parseLines(o.lines),
    reverse: o.reverse ?? false,
  };
  if (o.where === undefined) return filter;
  let expr: jsonata.Expression;
  try {
    expr = compileJsonata(o.where);
  } catch (err) {
    throw new Error(`--where: not valid JSONata: ${(err as Error).message}`, { cause: err });
  }
  return { ...filter, where: async (a) => !!(await expr.evaluate(a)) };
}

/** One alert to print: its stored JSON, and the parsed alert when --where needed it. */
export interface SelectedAlert {
  id: number;
  json: string;
  alert?: Alert;
}

/** Alerts of the store query `q` that pass --where, oldest first, or newest first if asked. */
async function* matching(
  store: AlertStore,
  q: AlertQuery,
  where: AlertFilter['where'],
  newestFirst: boolean,
): AsyncGenerator<SelectedAlert> {
  for (const row of store.iterate({ ...q, newestFirst })) {
    if (!where) {
      yield row;
      continue;
    }
    const alert = JSON.parse(row.json) as Alert;
    if (await where(alert)) yield { ...row, alert };
  }
}

/**
 * The alerts to print, in print order. The store is read from the end -n names (or in print
 * order without -n); when that is against the print order, the -n alerts are held and turned.
 * `q` is the filter's query, narrowed by the caller (ids, for --follow).
 */
export async function* selectAlerts(
  store: AlertStore,
  f: AlertFilter,
  q: AlertQuery = f.query,
): AsyncGenerator<SelectedAlert> {
  const limit = f.lines?.count ?? Infinity;
  if (limit === 0) return;
  const fromNewest = f.lines ? !f.lines.fromOldest : f.reverse;
  const held: SelectedAlert[] = [];
  let n = 0;
  for await (const a of matching(store, q, f.where, fromNewest)) {
    if (fromNewest === f.reverse) yield a;
    else held.push(a);
    if (++n >= limit) break;
  }
  for (let i = held.length - 1; i >= 0; i--) yield held[i];
}

/** How many alerts `selectAlerts` would return (SQL's count when there is no --where). */
export async function countAlerts(store: AlertStore, f: AlertFilter): Promise<number> {
  const limit = f.lines?.count ?? Infinity;
  if (!f.where) return Math.min(store.count(f.query), limit);
  let n = 0;
  for await (const _ of matching(store, f.query, f.where, false)) if (++n >= limit) break;
  return n;
}
