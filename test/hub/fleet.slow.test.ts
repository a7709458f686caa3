/**
 * The fleet as docs/fleet.md deploys it: a three-node NATS JetStream cluster with the stream
 * replicated three times, two `vigil hub` processes sharing one durable consumer and one
 * PostgreSQL. Faults during a burst: a hub killed with SIGKILL mid-batch and started again, a
 * NATS node killed with SIGKILL. Every alert ends in the store exactly once, and both hubs took
 * part of the work.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import pg from 'pg';
import type { Alert } from '../../src/event/alert.js';
import { natsServerMissing, startNatsCluster, type NatsCluster } from '../support/nats-server.js';
import { postgresMissing, TestPostgres } from '../support/postgres.js';
import { freePort, waitForListen } from '../outputs/support/ports.js';
import { waitFor } from '../outputs/support/wait.js';
import { vigilCommand } from '../ops/cli.js';
import { createStream, fleetAlert, hubApi, TOKEN } from './support/hub-fixture.js';

const skip = postgresMissing() || natsServerMissing();
let dir: string;
let cluster: NatsCluster;
let postgres: TestPostgres;
let nc: NatsConnection;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'vigil-fleet-'));
  postgres = await TestPostgres.start(join(dir, 'pg'));
  cluster = await startNatsCluster(join(dir, 'nats'));
  nc = await connect({ servers: cluster.urls, maxReconnectAttempts: -1 });
  await createStream(nc, 3);
});

after(async () => {
  if (skip) return;
  await nc.close();
  await cluster.stop();
  postgres.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface HubProcess {
  child: ChildProcess;
  base: string;
  log: () => string;
}

async function startHubProcess(name: string, port: number): Promise<HubProcess> {
  const [cmd, argv] = vigilCommand([
    'hub',
    '--listen',
    `127.0.0.1:${port}`,
    '--nats',
    cluster.urls.join(','),
    '--db',
    postgres.url,
    '--state-dir',
    join(dir, name),
    '--ack-wait',
    '5',
    '--batch',
    '50',
  ]);
  const child = spawn(cmd, argv, {
    env: { ...process.env, VIGIL_HUB_TOKEN: TOKEN },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  await waitForListen(port);
  return { child, base: `http://127.0.0.1:${port}`, log: () => err };
}

async function kill9(h: HubProcess): Promise<void> {
  const gone = new Promise((r) => h.child.once('exit', r));
  h.child.kill('SIGKILL');
  await gone;
}

/** Publishes as the agent's sink does, retrying each alert (same Nats-Msg-Id) until JetStream acks it. */
async function publishReliably(alerts: Alert[]): Promise<void> {
  const js = jetstream(nc);
  await Promise.all(
    alerts.map(async (a) => {
      for (;;) {
        try {
          const h = headers();
          h.set('Nats-Msg-Id', a.uuid);
          await js.publish(`vigil.alerts.${a.hostname}`, JSON.stringify(a), { headers: h, timeout: 5000 });
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    }),
  );
}

const storedCount = async (): Promise<number> => {
  const c = new pg.Client({ connectionString: postgres.url });
  try {
    await c.connect();
    return (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM alerts')).rows[0].n;
  } catch {
    return -1;
  } finally {
    await c.end().catch(() => undefined);
  }
};

const storedMetric = async (h: HubProcess): Promise<number> => {
  const r = await hubApi(h.base, '/metrics').catch(() => ({ body: '' }));
  return Number(/^vigil_hub_alerts_stored_total (\S+)$/m.exec(String(r.body))?.[1] ?? 0);
};

test(
  'two hubs, a hub and a NATS node killed mid-burst: every alert stored exactly once',
  { skip },
  async () => {
    const ports = [await freePort(), await freePort()];
    let a = await startHubProcess('hub-a', ports[0]);
    const b = await startHubProcess('hub-b', ports[1]);
    try {
      const batch = (from: number, n: number) =>
        Array.from({ length: n }, (_, i) => fleetAlert(`node-${(from + i) % 4}`, from + i));
      const first = batch(0, 3000);
      const publishing = publishReliably(first);
      await waitFor(async () => (await storedMetric(a)) > 0 && (await storedMetric(b)) > 0, 50);
      await kill9(a);
      await publishing;
      await cluster.nodes[0].stop('SIGKILL');
      const second = batch(3000, 3000);
      await publishReliably(second);
      a = await startHubProcess('hub-a', ports[0]);
      await cluster.nodes[0].start();

      const all = [...first, ...second];
      await waitFor(async () => (await storedCount()) === all.length, 250);
      const c = new pg.Client({ connectionString: postgres.url });
      await c.connect();
      const rows = (await c.query<{ uuid: string }>('SELECT uuid::text FROM alerts')).rows;
      await c.end();
      assert.equal(rows.length, all.length);
      assert.deepEqual(new Set(rows.map((r) => r.uuid)), new Set(all.map((x) => x.uuid)));
      assert.ok((await storedMetric(b)) > 0);
    } catch (err) {
      process.stderr.write(`hub a:\n${a.log()}\nhub b:\n${b.log()}\n`);
      throw err;
    } finally {
      for (const h of [a, b]) if (h.child.exitCode === null) await kill9(h);
    }
  },
);
