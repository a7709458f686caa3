/**
 * The query string of GET /api/alerts and /api/stats as a HubFilter, a page size and a cursor.
 * Every value is checked and bounded here; a bad one is refused with the parameter's name (400).
 * Values are data only: the stores bind them as parameters.
 */
import { PRIORITIES } from '../event/alert.js';
import { parseTimeBound } from '../outputs/store/alert-query.js';
import type { Cursor, HubFilter } from './store.js';

export class BadParam extends Error {
  override name = 'BadParam';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_VALUE = 512;

export const isUuid = (s: string): boolean => UUID.test(s);

function value(q: URLSearchParams, name: string): string | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (v.length > MAX_VALUE) throw new BadParam(`${name}: longer than ${MAX_VALUE} characters`);
  return v;
}

function time(q: URLSearchParams, name: string, now: number): number | undefined {
  const v = value(q, name);
  if (v === undefined) return undefined;
  if (/^\d{10,16}$/.test(v)) return Number(v);
  try {
    return parseTimeBound(v, name, now);
  } catch (err) {
    throw new BadParam((err as Error).message);
  }
}

function priority(q: URLSearchParams): number | undefined {
  const v = value(q, 'priority');
  if (v === undefined) return undefined;
  const i = PRIORITIES.findIndex((p) => p.toLowerCase() === v.toLowerCase());
  if (i < 0) throw new BadParam(`priority: "${v}" is not one of ${PRIORITIES.join(', ')}`);
  return i;
}

/** The filter of a query string (rule, host, priority, since, until, tag, container, pod, q). */
export function filterOf(q: URLSearchParams, now = Date.now()): HubFilter {
  const f: HubFilter = {
    rule: value(q, 'rule'),
    host: value(q, 'host'),
    maxPriority: priority(q),
    sinceMs: time(q, 'since', now),
    untilMs: time(q, 'until', now),
    tag: value(q, 'tag'),
    container: value(q, 'container'),
    pod: value(q, 'pod'),
    q: value(q, 'q'),
  };
  for (const k of Object.keys(f) as (keyof HubFilter)[]) if (f[k] === undefined) delete f[k];
  return f;
}

/** `limit`: 1..1000, default 100. */
export function limitOf(q: URLSearchParams): number {
  const v = value(q, 'limit');
  if (v === undefined) return 100;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new BadParam('limit: an integer from 1 to 1000');
  return n;
}

/** The opaque `after` cursor the previous page gave: base64url of `timeMs.uuid`. */
export function encodeCursor(c: Cursor): string {
  return Buffer.from(`${c.timeMs}.${c.uuid}`).toString('base64url');
}

export function cursorOf(q: URLSearchParams): Cursor | undefined {
  const v = value(q, 'after');
  if (v === undefined) return undefined;
  const m = /^(\d{1,16})\.(.{36})$/.exec(Buffer.from(v, 'base64url').toString('latin1'));
  if (!m || !UUID.test(m[2])) throw new BadParam('after: not a cursor this hub gave');
  return { timeMs: Number(m[1]), uuid: m[2].toLowerCase() };
}

/** `bucket` for /api/stats, seconds (60..86400); default: the time range / 60, at least a minute. */
export function bucketOf(q: URLSearchParams, f: HubFilter, now = Date.now()): number {
  const v = value(q, 'bucket');
  if (v !== undefined) {
    const s = Number(v);
    if (!Number.isInteger(s) || s < 60 || s > 86_400) throw new BadParam('bucket: seconds from 60 to 86400');
    return s * 1000;
  }
  const span = (f.untilMs ?? now) - (f.sinceMs ?? now - 86_400_000);
  return Math.max(60_000, Math.ceil(span / 60 / 60_000) * 60_000);
}
