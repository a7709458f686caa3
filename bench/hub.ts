/**
 * vigil hub's figures (docs/performance.md, "Fleet hub"), with the real parts started here:
 * nats-server (JetStream) and PostgreSQL from Debian's binaries.
 *
 * - ingest: N alerts waiting in the stream, then a hub started on PostgreSQL; alerts/s from its
 *   start until every one is stored (consume, parse, commit, ack), and the store alone
 *   (PostgresHubStore.insert in batches of 1000);
 * - console: the table filled to `--rows` alerts, then GET /api/alerts (the first page), a filtered
 *   page (host, priority, free text), a rule and priority no alert has together, and /api/stats
 *   over a day, each the median of 20 calls.
 *
 *   npm run bench -- hub [--alerts 100000] [--rows 1000000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { headers, connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { alertRow, type AlertRow } from '../src/hub/alert-row.js';
import { startHub } from '../src/hub/hub.js';
import { PostgresHubStore } from '../src/hub/postgres-store.js';
import { startNats } from '../test/support/nats-server.js';
import { TestPostgres } from '../test/support/postgres.js';
import { createStream, fleetAlert, TOKEN } from '../test/hub/support/hub-fixture.js';

const { values } = parseArgs({
  options: { alerts: { type: 'string', default: '100000' }, rows: { type: 'string', default: '1000000' } },
});
const ALERTS = Number(values.alerts);
const ROWS = Number(values.rows);
const HOSTS = 50;
const RULES = [
  'Read sensitive file untrusted',
  'Shell in container',
  'Outbound connection to C2',
  'Write below etc',
];
const PRIOS = ['Critical', 'Warning', 'Notice', 'Error'] as const;

function alert(i: number, t0: number) {
  return fleetAlert(`node-${i % HOSTS}`, i, {
    rule: RULES[i % RULES.length],
    priority: PRIOS[i % PRIOS.length],
    time: new Date(t0 + i * 50).toISOString(),
  });
}

async function ingest(nats: string, db: string, dir: string): Promise<void> {
  const nc = await connect({ servers: nats });
  await createStream(nc);
  const js = jetstream(nc);
  for (let i = 0; i < ALERTS; i += 2000) {
    await Promise.all(
      Array.from({ length: Math.min(2000, ALERTS - i) }, (_, k) => {
        const a = alert(i + k, Date.now() - 86_400_000);
        const h = headers();
        h.set('Nats-Msg-Id', a.uuid);
        return js.publish(`vigil.alerts.${a.hostname}`, JSON.stringify(a), { headers: h });
      }),
    );
  }
  const t = process.hrtime.bigint();
  const log = { info: () => {}, warn: (m: string) => console.error(m) };
  const hub = await startHub({
    ...{ listen: '127.0.0.1:0', nats: [nats], stream: 'VIGIL', durable: 'bench', db, stateDir: dir },
    ...{ token: TOKEN, retentionDays: 0, ackWaitMs: 60_000, replicas: 1, batch: 1000, log },
  });
  while ((await hub.store.count()) < ALERTS) await new Promise((r) => setTimeout(r, 100));
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  console.log(
    `ingest end to end (NATS -> hub -> PostgreSQL): ${ALERTS} alerts in ${s.toFixed(2)} s = ${Math.round(ALERTS / s)} alerts/s`,
  );
  await hub.stop();
  await nc.close();
}

async function fill(store: PostgresHubStore, from: number, to: number, label: boolean): Promise<void> {
  const t0 = Date.now() - 86_400_000 * 30;
  const t = process.hrtime.bigint();
  for (let i = from; i < to; i += 1000) {
    const rows: AlertRow[] = [];
    for (let k = i; k < Math.min(i + 1000, to); k++)
      rows.push(alertRow(JSON.stringify(alert(k, t0 + k * 2))));
    await store.insert(rows);
  }
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (label)
    console.log(
      `store insert alone: ${to - from} alerts in ${s.toFixed(2)} s = ${Math.round((to - from) / s)} alerts/s (row building included)`,
    );
}

async function median(url: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = process.hrtime.bigint();
    const r = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    await r.text();
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return times.sort((a, b) => a - b)[10];
}

async function consoleQueries(nats: string, db: string, dir: string): Promise<void> {
  const store = await PostgresHubStore.open(db, () => {});
  await fill(store, 0, 100_000, true);
  await fill(store, 100_000, ROWS, false);
  console.log(`stored: ${await store.count()} alerts`);
  await store.close();
  const hub = await startHub({
    ...{ listen: '127.0.0.1:0', nats: [nats], stream: 'VIGIL', durable: 'bench2', db, stateDir: dir },
    ...{
      token: TOKEN,
      retentionDays: 0,
      ackWaitMs: 60_000,
      replicas: 1,
      batch: 1000,
      log: { info: () => {}, warn: () => {} },
    },
  });
  const base = `http://127.0.0.1:${hub.port}`;
  console.log(
    `first page (100 alerts): median ${(await median(`${base}/api/alerts?limit=100`)).toFixed(1)} ms`,
  );
  const f = `${base}/api/alerts?limit=100&host=node-7&priority=warning&q=shadow`;
  console.log(`filtered page (host, priority, free text): median ${(await median(f)).toFixed(1)} ms`);
  // Rule and priority go together here: no 'Shell in container' alert is critical.
  const none = `${base}/api/alerts?limit=100&rule=${encodeURIComponent(RULES[1])}&priority=critical`;
  console.log(`filtered page, no match (rule, priority): median ${(await median(none)).toFixed(1)} ms`);
  console.log(
    `stats over the last day: median ${(await median(`${base}/api/stats?since=24h`)).toFixed(1)} ms`,
  );
  await hub.stop();
}

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-hub-'));
const pg = await TestPostgres.start(join(dir, 'pg'));
const nats = await startNats(join(dir, 'nats'));
try {
  await ingest(nats.url, pg.url, join(dir, 'state'));
  await consoleQueries(nats.url, pg.url, join(dir, 'state2'));
} finally {
  await nats.stop();
  pg.stop();
  rmSync(dir, { recursive: true, force: true });
}
