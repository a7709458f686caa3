/**
 * The PostgreSQL store (`vigil hub --db postgres://...`), through `pg`'s pool. A batch is one
 * INSERT of unnested arrays (one round trip whatever its size), `ON CONFLICT DO NOTHING` on the
 * uuid. Connections lost while PostgreSQL is down fail the call; the pool opens new ones when it
 * is back, and the consumer retries the batch.
 */
import pg from 'pg';
import type { AlertRow } from './alert-row.js';
import { migratePostgres } from './postgres-schema.js';
import { whereOf } from './sql-filter.js';
import type { AlertPage, Cursor, HubFilter, HubStats, HubStore } from './store.js';

const INSERT = `INSERT INTO alerts (uuid, time_ms, rule, priority, hostname, container_id, pod, tags, output, json)
  SELECT u, t, r, p, h, c, d, ARRAY(SELECT jsonb_array_elements_text(g::jsonb)), o, j
  FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::smallint[], $5::text[], $6::text[], $7::text[],
              $8::text[], $9::text[], $10::text[]) AS x(u, t, r, p, h, c, d, g, o, j)
  ON CONFLICT (uuid) DO NOTHING`;

export class PostgresHubStore implements HubStore {
  private constructor(private readonly pool: pg.Pool) {}

  /** Connects, migrates, and returns the store. `onError`: an idle connection failed (logged). */
  static async open(url: string, onError: (err: Error) => void): Promise<PostgresHubStore> {
    const pool = new pg.Pool({ connectionString: url, max: 8, connectionTimeoutMillis: 5000 });
    // An idle client whose server went away emits here; unhandled, it would end the process.
    pool.on('error', onError);
    const client = await pool.connect();
    try {
      await migratePostgres(client);
    } finally {
      client.release();
    }
    return new PostgresHubStore(pool);
  }

  async insert(rows: readonly AlertRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const col = <T>(f: (r: AlertRow) => T): T[] => rows.map(f);
    const r = await this.pool.query(INSERT, [
      col((r) => r.uuid),
      col((r) => r.timeMs),
      col((r) => r.rule),
      col((r) => r.priority),
      col((r) => r.hostname),
      col((r) => r.containerId),
      col((r) => r.pod),
      col((r) => JSON.stringify(r.tags)),
      col((r) => r.output),
      col((r) => r.json),
    ]);
    return r.rowCount ?? 0;
  }

  async page(filter: HubFilter, limit: number, after?: Cursor): Promise<AlertPage> {
    const w = whereOf(filter, 'postgres', after);
    const sql =
      // Aliases other than the column names: ORDER BY would sort by the cast outputs, not the index.
      `SELECT uuid::text AS id, time_ms::float8 AS t, json FROM alerts ${w.sql} ` +
      `ORDER BY time_ms DESC, uuid DESC LIMIT $${w.params.length + 1}`;
    const r = await this.pool.query<{ id: string; t: number; json: string }>(sql, [...w.params, limit + 1]);
    const more = r.rows.length > limit;
    const kept = more ? r.rows.slice(0, limit) : r.rows;
    const last = kept[kept.length - 1];
    return {
      alerts: kept.map((x) => x.json),
      next: more ? { timeMs: last.t, uuid: last.id } : undefined,
    };
  }

  async get(uuid: string): Promise<string | undefined> {
    const r = await this.pool.query<{ json: string }>('SELECT json FROM alerts WHERE uuid = $1::uuid', [
      uuid,
    ]);
    return r.rows[0]?.json;
  }

  async stats(filter: HubFilter, bucketMs: number, top: number): Promise<HubStats> {
    const w = whereOf(filter, 'postgres');
    const n = w.params.length;
    const buckets = await this.pool.query<{ b: number; n: number }>(
      `SELECT ((time_ms / $${n + 1}) * $${n + 1})::float8 AS b, count(*)::int AS n FROM alerts ${w.sql} ` +
        'GROUP BY 1 ORDER BY 1',
      [...w.params, bucketMs],
    );
    const by = async <K>(col: string) =>
      (
        await this.pool.query<{ key: K; count: number }>(
          `SELECT ${col} AS key, count(*)::int AS count FROM alerts ${w.sql} GROUP BY 1 ORDER BY 2 DESC LIMIT $${n + 1}`,
          [...w.params, top],
        )
      ).rows;
    return {
      bucketMs,
      buckets: buckets.rows.map((r) => [r.b, r.n] as [number, number]),
      rules: await by<string>('rule'),
      hosts: await by<string>('hostname'),
      priorities: await by<number>('priority'),
    };
  }

  async deleteBefore(timeMs: number): Promise<number> {
    return (await this.pool.query('DELETE FROM alerts WHERE time_ms < $1', [timeMs])).rowCount ?? 0;
  }

  async count(): Promise<number> {
    return (await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM alerts')).rows[0].n;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
