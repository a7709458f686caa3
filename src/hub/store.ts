/**
 * The hub's alert store, behind one interface with two engines: SQLite under the state directory
 * (the embedded default, ./sqlite-store.ts) and PostgreSQL (./postgres-store.ts). Both insert by
 * uuid idempotently (a redelivered alert is stored once), page with keysets (newest first, by time
 * then uuid: a page costs the same at any depth) and bind every value as a parameter.
 */
import type { AlertRow } from './alert-row.js';

/** What the console's timeline filters on; every key optional. */
export interface HubFilter {
  rule?: string;
  host?: string;
  /** Rank of the least severe priority wanted (0 = Emergency only). */
  maxPriority?: number;
  /** Inclusive bounds, ms since the epoch. */
  sinceMs?: number;
  untilMs?: number;
  tag?: string;
  container?: string;
  /** `namespace/name`, or a name alone (any namespace). */
  pod?: string;
  /** Free text over the rule name and the output. */
  q?: string;
}

/** Where a page starts: just after (older than) this alert. */
export interface Cursor {
  timeMs: number;
  uuid: string;
}

export interface AlertPage {
  /** Alert JSON strings, newest first. */
  alerts: string[];
  /** The cursor of the next page; absent on the last one. */
  next?: Cursor;
}

/** Counts per time bucket and per rule, host and priority, for the console's chart. */
export interface HubStats {
  bucketMs: number;
  /** [bucket start ms, count], oldest first, empty buckets left out. */
  buckets: [number, number][];
  rules: { key: string; count: number }[];
  hosts: { key: string; count: number }[];
  /** Keyed by priority rank. */
  priorities: { key: number; count: number }[];
}

export interface HubStore {
  /** Stores the rows; those whose uuid is already stored are left as they are. Returns how many were new. */
  insert(rows: readonly AlertRow[]): Promise<number>;
  page(filter: HubFilter, limit: number, after?: Cursor): Promise<AlertPage>;
  /** One alert's JSON, or undefined. */
  get(uuid: string): Promise<string | undefined>;
  stats(filter: HubFilter, bucketMs: number, top: number): Promise<HubStats>;
  /** Deletes alerts older than the bound; returns how many went. */
  deleteBefore(timeMs: number): Promise<number>;
  count(): Promise<number>;
  close(): Promise<void>;
}

/** A free-text query as words (at most 8, each at most 64 characters), lower case. */
export function words(q: string): string[] {
  return q
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .slice(0, 8)
    .map((w) => w.slice(0, 64));
}

/** A LIKE pattern matching `s` anywhere, `\` escaping. */
export function containsPattern(s: string): string {
  return `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
