/**
 * The hub's PostgreSQL schema, versioned in `vigil_hub_schema`. Migrations run in order, once, in
 * one transaction under an advisory lock, so that hubs starting together migrate once. Never edit
 * a shipped migration; append one.
 */
import type pg from 'pg';

const MIGRATIONS: string[] = [
  `CREATE TABLE alerts (
     uuid uuid PRIMARY KEY,
     time_ms bigint NOT NULL,
     rule text NOT NULL,
     priority smallint NOT NULL,
     hostname text NOT NULL,
     container_id text NOT NULL,
     pod text NOT NULL,
     tags text[] NOT NULL,
     output text NOT NULL,
     json text NOT NULL,
     search tsvector GENERATED ALWAYS AS (to_tsvector('simple', rule || ' ' || output)) STORED
   );
   CREATE INDEX alerts_time ON alerts (time_ms DESC, uuid DESC);
   CREATE INDEX alerts_host ON alerts (hostname, time_ms DESC);
   CREATE INDEX alerts_rule ON alerts (rule, time_ms DESC);
   CREATE INDEX alerts_priority ON alerts (priority, time_ms DESC);
   CREATE INDEX alerts_container ON alerts (container_id, time_ms DESC) WHERE container_id <> '';
   CREATE INDEX alerts_pod ON alerts (pod, time_ms DESC) WHERE pod <> '';
   CREATE INDEX alerts_tags ON alerts USING gin (tags);
   CREATE INDEX alerts_search ON alerts USING gin (search);`,
  // A rule filtered with a priority no alert of that rule has walked the time index to the end.
  `CREATE INDEX alerts_rule_priority ON alerts (rule, priority, time_ms DESC);`,
];

export const PG_SCHEMA_VERSION = MIGRATIONS.length;

// An arbitrary constant naming the hub's migration lock.
const LOCK_KEY = 0x76696769;

export async function migratePostgres(client: pg.ClientBase): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await client.query('CREATE TABLE IF NOT EXISTS vigil_hub_schema (version integer NOT NULL)');
    const r = await client.query<{ version: number }>('SELECT version FROM vigil_hub_schema');
    const current = r.rows[0]?.version ?? 0;
    if (current > MIGRATIONS.length) {
      throw new Error(
        `hub schema version ${current} is newer than this vigil understands (${MIGRATIONS.length})`,
      );
    }
    for (let v = current; v < MIGRATIONS.length; v++) await client.query(MIGRATIONS[v]);
    if (r.rows.length === 0)
      await client.query('INSERT INTO vigil_hub_schema VALUES ($1)', [MIGRATIONS.length]);
    else await client.query('UPDATE vigil_hub_schema SET version = $1', [MIGRATIONS.length]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
