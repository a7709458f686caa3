/**
 * Schema of the alert store, versioned with PRAGMA user_version. Migrations run once, in order;
 * never edit a shipped migration, append a new one.
 */
import type Database from 'better-sqlite3';

const MIGRATIONS: ((db: Database.Database) => void)[] = [
  // 1: alerts with their full JSON and indexed columns; the outbox (per-sink cursor + in-flight batch).
  (db) => {
    db.exec(`
      CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        uuid TEXT NOT NULL,
        time TEXT NOT NULL,
        time_ms INTEGER NOT NULL,
        rule TEXT NOT NULL,
        priority INTEGER NOT NULL,
        hostname TEXT NOT NULL,
        container_id TEXT NOT NULL,
        pid INTEGER,
        exe TEXT,
        json TEXT NOT NULL
      );
      CREATE INDEX alerts_time ON alerts(time_ms);
      CREATE INDEX alerts_rule ON alerts(rule);
      CREATE INDEX alerts_priority ON alerts(priority);
      CREATE INDEX alerts_hostname ON alerts(hostname);
      CREATE INDEX alerts_container ON alerts(container_id);
      CREATE INDEX alerts_pid ON alerts(pid);
      CREATE INDEX alerts_exe ON alerts(exe);
      -- Everything up to acked_id is delivered (or deliberately skipped) for this sink.
      CREATE TABLE outbox_cursor (sink TEXT PRIMARY KEY, acked_id INTEGER NOT NULL);
      -- The batch a sink is sending: resent as is, under the same delivery id, after a crash.
      CREATE TABLE outbox_inflight (
        sink TEXT PRIMARY KEY,
        delivery_id TEXT NOT NULL,
        last_id INTEGER NOT NULL,
        alert_ids TEXT NOT NULL,
        summaries TEXT NOT NULL
      );
    `);
  },
  // 2: only the indexes `vigil alerts` queries use (time, rule, container; ids for --follow and the
  // outbox are the rowid). Each index is a B-tree insert per alert and pages rewritten per commit:
  // priority (8 values: a rowid scan is as good), hostname, pid and exe were never queried.
  (db) => {
    db.exec(`
      DROP INDEX IF EXISTS alerts_priority;
      DROP INDEX IF EXISTS alerts_hostname;
      DROP INDEX IF EXISTS alerts_pid;
      DROP INDEX IF EXISTS alerts_exe;
    `);
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `database schema version ${current} is newer than this vigil understands (${SCHEMA_VERSION}); upgrade vigil`,
    );
  }
  // All pending migrations in one transaction: a new store is written once, at its final schema
  // (the pages of indexes a later migration drops never reach the WAL), and an upgrade is all or
  // nothing.
  db.transaction(() => {
    for (let v = current; v < SCHEMA_VERSION; v++) MIGRATIONS[v](db);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}
