/**
 * The hub on PostgreSQL started by the test from Debian's binaries: the store contract, migrations
 * run once by hubs starting together, and an outage: PostgreSQL stopped for 30 s while agents
 * publish, then started again; every alert ends in the store exactly once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { PostgresHubStore } from '../../src/hub/postgres-store.js';
import { PG_SCHEMA_VERSION } from '../../src/hub/postgres-schema.js';
import { startHub } from '../../src/hub/hub.js';
import { natsServerMissing, startNats, type NatsNode } from '../support/nats-server.js';
import { postgresMissing, TestPostgres } from '../support/postgres.js';
import { waitFor } from '../outputs/support/wait.js';
import { storeContract } from './support/store-contract.js';
import { allPages, createStream, fleetAlert, publishAlerts, quietLog, TOKEN } from './support/hub-fixture.js';

const skip = postgresMissing() || natsServerMissing();
let dir: string;
let postgres: TestPostgres;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'vigil-hub-pg-'));
  postgres = await TestPostgres.start(join(dir, 'pg'));
});

after(() => {
  if (skip) return;
  postgres.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function freshDb(name: string): Promise<string> {
  const c = new pg.Client({ connectionString: postgres.url });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  return postgres.url.replace(/\/postgres$/, `/${name}`);
}

test('the PostgreSQL hub store keeps the store contract', { skip }, async () => {
  const store = await PostgresHubStore.open(await freshDb('contract'), () => {});
  await storeContract(store);
  await store.close();
});

test('hubs starting together migrate once; the schema has the console indexes', { skip }, async () => {
  const url = await freshDb('migrate');
  const stores = await Promise.all([1, 2, 3].map(() => PostgresHubStore.open(url, () => {})));
  await Promise.all(stores.map((s) => s.close()));
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  assert.deepEqual((await c.query('SELECT version FROM vigil_hub_schema')).rows, [
    { version: PG_SCHEMA_VERSION },
  ]);
  const idx = (await c.query("SELECT indexname FROM pg_indexes WHERE tablename = 'alerts' ORDER BY 1")).rows;
  assert.deepEqual(
    idx.map((r) => r.indexname),
    [
      'alerts_container',
      'alerts_host',
      'alerts_pkey',
      'alerts_pod',
      'alerts_priority',
      'alerts_rule',
      'alerts_rule_priority',
      'alerts_search',
      'alerts_tags',
      'alerts_time',
    ],
  );
  await c.end();
});

test(
  'PostgreSQL stopped for 30 s while alerts arrive: every alert stored exactly once',
  { skip },
  async () => {
    let nats: NatsNode | undefined;
    let nc: NatsConnection | undefined;
    const warnings: string[] = [];
    const hub = await (async () => {
      nats = await startNats(join(dir, 'nats'));
      nc = await connect({ servers: nats.url });
      await createStream(nc);
      return startHub({
        listen: '127.0.0.1:0',
        nats: [nats.url],
        stream: 'VIGIL',
        durable: 'vigil-hub',
        db: await freshDb('outage'),
        stateDir: join(dir, 'state'),
        token: TOKEN,
        retentionDays: 0,
        ackWaitMs: 30_000,
        replicas: 1,
        batch: 200,
        log: { info: quietLog.info, warn: (m) => warnings.push(m) },
      });
    })();
    try {
      const base = `http://127.0.0.1:${hub.port}`;
      const first = Array.from({ length: 1000 }, (_, i) => fleetAlert(`node-${i % 2}`, i));
      await publishAlerts(nc!, first);
      await waitFor(async () => (await hub.store.count()) === 1000, 100);

      postgres.stop();
      const during = Array.from({ length: 2000 }, (_, i) => fleetAlert(`node-${i % 2}`, 1000 + i));
      await publishAlerts(nc!, during);
      await waitFor(() => warnings.some((w) => /the store refused a batch/.test(w)), 100);
      const ready = await fetch(`${base}/readyz?verbose`);
      assert.equal(ready.status, 503);
      assert.match(await ready.text(), /\[-\]store failed/);
      await new Promise((r) => setTimeout(r, 30_000));
      await postgres.startServer();

      await waitFor(async () => (await hub.store.count().catch(() => 0)) === 3000, 200);
      const stored = await allPages(base, '', 1000);
      assert.equal(stored.length, 3000);
      assert.deepEqual(new Set(stored.map((a) => a.uuid)), new Set([...first, ...during].map((a) => a.uuid)));
      await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, 200);
    } finally {
      await hub.stop();
      await nc?.close();
      await nats?.stop();
    }
  },
);
