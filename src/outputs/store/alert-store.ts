/**
 * The SQLite alert store and the durable outbox, in one database (better-sqlite3, WAL).
 * An alert is committed here before any durable sink sees it; each durable sink's progress is a cursor
 * (every alert id <= acked_id is done) plus the one batch it has in flight.
 */
import { accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Alert } from '../../event/alert.js';
import type { AlertSummary } from '../sink.js';
import { NUM_FIELDS, packRows, TEXT_FIELDS, type PackedRows } from './packed-rows.js';
import { migrate } from './sqlite-schema.js';
import { secureStoreFiles, type StoreFilesReport } from './store-files.js';

export interface StoredAlert {
  id: number;
  json: string;
}

export interface InflightBatch {
  deliveryId: string;
  lastId: number;
  alertIds: number[];
  summaries: AlertSummary[];
}

export interface AlertQuery {
  sinceMs?: number;
  /** The latest time wanted, inclusive. */
  untilMs?: number;
  rule?: string;
  /** A LIKE pattern over the rule name, `\` escaping (SQLite's LIKE: ASCII letters match either case). */
  ruleLike?: string;
  /** Rank of the least severe priority wanted (0 = Emergency only). */
  maxRank?: number;
  containerId?: string;
  afterId?: number;
  /** Only alerts up to this id: the end of a snapshot. */
  throughId?: number;
  /** Most recent first up to limit, returned oldest first. */
  limit?: number;
  /** iterate(): newest first. */
  newestFirst?: boolean;
}

export interface StoreOpenOptions {
  synchronous?: 'normal' | 'full';
  readonly?: boolean;
}

/** SQLite's error code (SQLITE_FULL, SQLITE_READONLY, ...) when there is one. */
export function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** SQLite's errors say "unable to open database file"; the file system says why. */
function whyNotWritable(path: string): string | undefined {
  for (const p of [path, dirname(path)]) {
    try {
      accessSync(p, constants.W_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EROFS') return `${p} is on a read-only file system`;
      if (code === 'EACCES' || code === 'EPERM') return `${p} is not writable by this user`;
    }
  }
  return undefined;
}

export class AlertStore {
  private readonly insertStmt: Database.Statement;
  private readonly insertMany: (batches: readonly PackedRows[]) => number[];
  private readonly statements = new Map<string, Database.Statement>();

  /** Modes and owners this open tightened (writable opens only), for the caller to log. */
  secured: StoreFilesReport = { tightened: [], warnings: [] };

  private constructor(
    readonly path: string,
    private readonly db: Database.Database,
  ) {
    // The JSON is bound as bytes straight from the packed buffer; CAST stores it as TEXT.
    this.insertStmt = db.prepare(
      `INSERT INTO alerts (uuid, time, time_ms, rule, priority, hostname, container_id, pid, exe, json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT))`,
    );
    this.insertMany = db.transaction((batches: readonly PackedRows[]) => {
      const ids: number[] = [];
      for (const p of batches) {
        const text = Buffer.from(p.text.buffer, p.text.byteOffset, p.text.byteLength);
        const { ends, nums } = p;
        for (let i = 0; i < p.count; i++) {
          const f = i * TEXT_FIELDS;
          const m = i * NUM_FIELDS;
          const start = f === 0 ? 0 : ends[f - 1];
          const str = (k: number): string =>
            text.toString('utf8', k === 0 ? start : ends[f + k - 1], ends[f + k]);
          const r = this.insertStmt.run(
            str(0),
            str(1),
            nums[m],
            str(2),
            nums[m + 1],
            str(3),
            str(4),
            Number.isNaN(nums[m + 2]) ? null : nums[m + 2],
            nums[m + 3] ? str(5) : null,
            text.subarray(ends[f + 5], ends[f + 6]),
          );
          ids.push(Number(r.lastInsertRowid));
        }
      }
      return ids;
    });
  }

  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  /** Opens (creating and migrating when writable) the store. Throws with SQLite's code on failure. */
  static open(path: string, opts: StoreOpenOptions = {}): AlertStore {
    try {
      return AlertStore.openUnexplained(path, opts);
    } catch (err) {
      const why = opts.readonly ? undefined : whyNotWritable(path);
      if (why && err instanceof Error) err.message += ` (${why})`;
      throw err;
    }
  }

  private static openUnexplained(path: string, opts: StoreOpenOptions): AlertStore {
    const secured = opts.readonly ? undefined : secureStoreFiles(path);
    const db = new Database(path, { readonly: !!opts.readonly, fileMustExist: !!opts.readonly });
    try {
      db.pragma('busy_timeout = 5000');
      if (!opts.readonly) {
        if ((db.pragma('user_version', { simple: true }) as number) === 0) {
          // Both must precede the first table. auto_vacuum lets size retention give pages back to the
          // file system; 16 KiB pages cut the CPU per stored alert (~1.5 KB of JSON each: fewer WAL
          // frames and write calls per commit) without making the outbox's small updates costly.
          db.pragma('page_size = 16384');
          db.pragma('auto_vacuum = INCREMENTAL');
        }
        const mode = db.pragma('journal_mode = WAL', { simple: true });
        if (String(mode).toLowerCase() !== 'wal') {
          throw Object.assign(new Error(`cannot switch ${path} to WAL (journal mode stays ${mode})`), {
            code: 'SQLITE_READONLY',
          });
        }
        db.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
        migrate(db);
      }
      const store = new AlertStore(path, db);
      if (secured) store.secured = secured;
      return store;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Commits alerts in one transaction; returns their ids, in order. `jsons`: already serialised. */
  insert(alerts: readonly Alert[], jsons?: readonly string[]): number[] {
    return this.insertMany([packRows(alerts, jsons ?? alerts.map((a) => JSON.stringify(a)))]);
  }

  /** Commits packed alerts in one transaction; returns their ids, in order. */
  insertPacked(batches: readonly PackedRows[]): number[] {
    return this.insertMany(batches);
  }

  /** Runs `fn` in one transaction (nested calls join it): group commit of several requests. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  maxId(): number {
    const row = this.stmt('SELECT max(id) AS m FROM alerts').get() as { m: number | null };
    return row.m ?? 0;
  }

  getCursor(sink: string): number | undefined {
    const row = this.stmt('SELECT acked_id FROM outbox_cursor WHERE sink = ?').get(sink) as
      { acked_id: number } | undefined;
    return row?.acked_id;
  }

  setCursor(sink: string, ackedId: number): void {
    this.stmt(
      `INSERT INTO outbox_cursor (sink, acked_id) VALUES (?, ?)
         ON CONFLICT(sink) DO UPDATE SET acked_id = max(acked_id, excluded.acked_id)`,
    ).run(sink, ackedId);
  }

  getInflight(sink: string): InflightBatch | undefined {
    const row = this.stmt(
      'SELECT delivery_id, last_id, alert_ids, summaries FROM outbox_inflight WHERE sink = ?',
    ).get(sink) as { delivery_id: string; last_id: number; alert_ids: string; summaries: string } | undefined;
    if (!row) return undefined;
    return {
      deliveryId: row.delivery_id,
      lastId: row.last_id,
      alertIds: JSON.parse(row.alert_ids) as number[],
      summaries: JSON.parse(row.summaries) as AlertSummary[],
    };
  }

  /** Records the batch about to be sent, before the first byte leaves. */
  beginDelivery(sink: string, batch: InflightBatch): void {
    this.stmt(
      `INSERT OR REPLACE INTO outbox_inflight (sink, delivery_id, last_id, alert_ids, summaries)
         VALUES (?, ?, ?, ?, ?)`,
    ).run(
      sink,
      batch.deliveryId,
      batch.lastId,
      JSON.stringify(batch.alertIds),
      JSON.stringify(batch.summaries),
    );
  }

  /** The destination acknowledged (or the batch was dropped): advance the cursor, forget the batch. */
  readonly ackDelivery = (sink: string, lastId: number): void => {
    this.db.transaction(() => {
      this.setCursor(sink, lastId);
      this.stmt('DELETE FROM outbox_inflight WHERE sink = ?').run(sink);
    })();
  };

  /** Alerts after a cursor, at or above a priority rank, oldest first. */
  readAfter(afterId: number, maxRank: number, limit: number): StoredAlert[] {
    return this.stmt('SELECT id, json FROM alerts WHERE id > ? AND priority <= ? ORDER BY id LIMIT ?').all(
      afterId,
      maxRank,
      limit,
    ) as StoredAlert[];
  }

  /** How many alerts readAfter would still return, all pages together. */
  countAfter(afterId: number, maxRank: number): number {
    const row = this.stmt('SELECT count(*) AS n FROM alerts WHERE id > ? AND priority <= ?').get(
      afterId,
      maxRank,
    ) as { n: number };
    return row.n;
  }

  getByIds(ids: readonly number[]): StoredAlert[] {
    if (ids.length === 0) return [];
    const stmt = this.stmt('SELECT id, json FROM alerts WHERE id = ?');
    const out: StoredAlert[] = [];
    for (const id of ids) {
      const row = stmt.get(id) as StoredAlert | undefined;
      if (row) out.push(row);
    }
    return out;
  }

  private filter(q: AlertQuery): { cond: string; args: (string | number)[] } {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const add = (sql: string, v: string | number | undefined): void => {
      if (v === undefined) return;
      where.push(sql);
      args.push(v);
    };
    add('id > ?', q.afterId);
    add('id <= ?', q.throughId);
    add('time_ms >= ?', q.sinceMs);
    add('time_ms <= ?', q.untilMs);
    add('rule = ?', q.rule);
    add("rule LIKE ? ESCAPE '\\'", q.ruleLike);
    add('priority <= ?', q.maxRank);
    add('container_id = ?', q.containerId);
    return { cond: where.length ? `WHERE ${where.join(' AND ')}` : '', args };
  }

  /** Matching alerts, the most recent `limit` of them (all without one), oldest first. */
  query(q: AlertQuery): StoredAlert[] {
    const { cond, args } = this.filter(q);
    const rows = this.stmt(`SELECT id, json FROM alerts ${cond} ORDER BY id DESC LIMIT ?`).all(
      ...args,
      q.limit ?? -1,
    ) as StoredAlert[];
    return rows.reverse();
  }

  /** Matching alerts oldest first (newest first if asked), one row at a time: bounded memory. */
  iterate(q: AlertQuery): IterableIterator<StoredAlert> {
    const { cond, args } = this.filter(q);
    const order = q.newestFirst ? 'DESC' : 'ASC';
    return this.stmt(`SELECT id, json FROM alerts ${cond} ORDER BY id ${order}`).iterate(
      ...args,
    ) as IterableIterator<StoredAlert>;
  }

  /** How many alerts match (all of them without a query). */
  count(q: AlertQuery = {}): number {
    const { cond, args } = this.filter(q);
    return (this.stmt(`SELECT count(*) AS n FROM alerts ${cond}`).get(...args) as { n: number }).n;
  }

  /** Bytes the database's live pages take (free pages excluded). */
  usedBytes(): number {
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    const size = this.db.pragma('page_size', { simple: true }) as number;
    return (pages - free) * size;
  }

  /**
   * Deletes alerts older than maxAgeMs, then the oldest while the store uses more than maxBytes,
   * in chunks so no single transaction holds the writer long. Returns how many were deleted.
   */
  applyRetention(maxAgeMs: number, maxBytes: number, now = Date.now()): number {
    const chunk = 5000;
    let deleted = 0;
    const byAge = this.stmt(
      'DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE time_ms < ? ORDER BY id LIMIT ?)',
    );
    const oldest = this.stmt('DELETE FROM alerts WHERE id IN (SELECT id FROM alerts ORDER BY id LIMIT ?)');
    if (maxAgeMs > 0) {
      for (;;) {
        const n = byAge.run(now - maxAgeMs, chunk).changes;
        deleted += n;
        if (n < chunk) break;
      }
    }
    if (maxBytes > 0) {
      for (let used = this.usedBytes(); used > maxBytes; used = this.usedBytes()) {
        // Delete about as many rows as the excess holds (rows are roughly the same size).
        const rows = this.count();
        const excess = Math.ceil(((used - maxBytes) / used) * rows * 1.05);
        const n = oldest.run(Math.min(chunk, Math.max(100, excess))).changes;
        deleted += n;
        if (n === 0) break;
      }
    }
    if (deleted > 0) this.db.pragma('incremental_vacuum');
    return deleted;
  }

  /**
   * WAL pages after which a commit checkpoints by itself. The checkpoint worker normally keeps
   * the WAL far below; this is the safety net should it stall.
   */
  setAutoCheckpoint(pages: number): void {
    this.db.pragma(`wal_autocheckpoint = ${Math.max(0, Math.floor(pages))}`);
  }

  /**
   * Checkpoints everything and empties the WAL file. False when it could not (no room yet to grow
   * the database, or readers). See the writer thread's recovery from a full disk.
   */
  truncateWal(): boolean {
    try {
      const [r] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      return r?.busy === 0;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
