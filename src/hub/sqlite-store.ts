/**
 * The embedded store: one SQLite database (better-sqlite3, WAL, synchronous FULL: an alert the hub
 * acknowledged survives a power cut) under the hub's state directory. Its own schema, not the
 * agent's: the hub keys alerts by uuid and indexes what the console filters on.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { AlertRow } from './alert-row.js';
import { whereOf } from './sql-filter.js';
import type { AlertPage, Cursor, HubFilter, HubStats, HubStore } from './store.js';

const MIGRATIONS: string[] = [
  `CREATE TABLE alerts (
     uuid TEXT PRIMARY KEY,
     time_ms INTEGER NOT NULL,
     rule TEXT NOT NULL,
     priority INTEGER NOT NULL,
     hostname TEXT NOT NULL,
     container_id TEXT NOT NULL,
     pod TEXT NOT NULL,
     tags TEXT NOT NULL,
     output TEXT NOT NULL,
     json TEXT NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX alerts_time ON alerts(time_ms, uuid);
   CREATE INDEX alerts_host ON alerts(hostname, time_ms);
   CREATE INDEX alerts_rule ON alerts(rule, time_ms);
   CREATE INDEX alerts_priority ON alerts(priority, time_ms);
   CREATE INDEX alerts_container ON alerts(container_id, time_ms);
   CREATE INDEX alerts_pod ON alerts(pod, time_ms);`,
  // A rule filtered with a priority no alert of that rule has walked the time index to the end.
  `CREATE INDEX alerts_rule_priority ON alerts(rule, priority, time_ms);`,
];

const INSERT = `INSERT INTO alerts (uuid, time_ms, rule, priority, hostname, container_id, pod, tags, output, json)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (uuid) DO NOTHING`;

export class SqliteHubStore implements HubStore {
  private readonly db: Database.Database;
  private readonly insertMany: (rows: readonly AlertRow[]) => number;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    const stmt = this.db.prepare(INSERT);
    this.insertMany = this.db.transaction((rows: readonly AlertRow[]) => {
      let added = 0;
      for (const r of rows) {
        const tags = r.tags.length > 0 ? `,${r.tags.join(',')},` : '';
        const args = [r.uuid, r.timeMs, r.rule, r.priority, r.hostname, r.containerId, r.pod, tags];
        added += stmt.run(...args, r.output, r.json).changes;
      }
      return added;
    });
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    if (current > MIGRATIONS.length) {
      throw new Error(`${this.path}: hub schema version ${current} is newer than this vigil understands`);
    }
    this.db.transaction(() => {
      for (let v = current; v < MIGRATIONS.length; v++) this.db.exec(MIGRATIONS[v]);
      this.db.pragma(`user_version = ${MIGRATIONS.length}`);
    })();
  }

  insert(rows: readonly AlertRow[]): Promise<number> {
    return Promise.resolve(this.insertMany(rows));
  }

  page(filter: HubFilter, limit: number, after?: Cursor): Promise<AlertPage> {
    const w = whereOf(filter, 'sqlite', after);
    const sql = `SELECT uuid, time_ms, json FROM alerts ${w.sql} ORDER BY time_ms DESC, uuid DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...w.params, limit + 1) as {
      uuid: string;
      time_ms: number;
      json: string;
    }[];
    const more = rows.length > limit;
    const kept = more ? rows.slice(0, limit) : rows;
    const last = kept[kept.length - 1];
    return Promise.resolve({
      alerts: kept.map((r) => r.json),
      next: more ? { timeMs: last.time_ms, uuid: last.uuid } : undefined,
    });
  }

  get(uuid: string): Promise<string | undefined> {
    const row = this.db.prepare('SELECT json FROM alerts WHERE uuid = ?').get(uuid.toLowerCase()) as
      { json: string } | undefined;
    return Promise.resolve(row?.json);
  }

  stats(filter: HubFilter, bucketMs: number, top: number): Promise<HubStats> {
    const w = whereOf(filter, 'sqlite');
    const all = <T>(sql: string, ...extra: unknown[]): T[] =>
      this.db.prepare(sql).all(...extra, ...w.params) as T[];
    const buckets = all<{ b: number; n: number }>(
      `SELECT (time_ms / ?) * ? AS b, count(*) AS n FROM alerts ${w.sql} GROUP BY b ORDER BY b`,
      bucketMs,
      bucketMs,
    );
    const by = <K>(col: string) =>
      this.db
        .prepare(
          `SELECT ${col} AS key, count(*) AS count FROM alerts ${w.sql} GROUP BY ${col} ORDER BY count DESC LIMIT ?`,
        )
        .all(...w.params, top) as { key: K; count: number }[];
    return Promise.resolve({
      bucketMs,
      buckets: buckets.map((r) => [r.b, r.n] as [number, number]),
      rules: by<string>('rule'),
      hosts: by<string>('hostname'),
      priorities: by<number>('priority'),
    });
  }

  deleteBefore(timeMs: number): Promise<number> {
    return Promise.resolve(this.db.prepare('DELETE FROM alerts WHERE time_ms < ?').run(timeMs).changes);
  }

  count(): Promise<number> {
    return Promise.resolve((this.db.prepare('SELECT count(*) AS n FROM alerts').get() as { n: number }).n);
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}
