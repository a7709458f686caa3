/**
 * The NATS JetStream sink against Debian's nats-server started by the test: the contract with
 * `vigil hub` (subject, Nats-Msg-Id, payload, stream), dedup of resent alerts across a restart,
 * a server outage (alerts wait in the outbox), one node of a three-node cluster killed while
 * publishing into a stream replicated three times, and `kill -9` of the agent mid-burst: every
 * committed alert exactly once in the stream.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import pino from 'pino';
import type { Alert } from '../../src/event/alert.js';
import { openOutputs, type Outputs, type SinkConfig } from '../../src/outputs/index.js';
import { AlertStore } from '../../src/outputs/store/alert-store.js';
import { natsServerMissing, startNats, startNatsCluster } from '../support/nats-server.js';
import { makeAlert, seqOf } from './support/alerts.js';
import { streamInfo, streamMessages, type StoredNatsMsg } from './support/nats-stream.js';
import { waitFor } from './support/wait.js';

let dir: string;
const missing = natsServerMissing();
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-nats-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const quiet = pino({ level: 'silent' });

function natsSink(servers: string[], over: Partial<Extract<SinkConfig, { type: 'nats' }>> = {}): SinkConfig {
  return {
    type: 'nats',
    servers,
    batch: { max_size: 200, max_wait_ms: 0 },
    retry: { initial_ms: 50, max_ms: 500 },
    timeout_ms: 2000,
    ...over,
  };
}

async function delivered(out: Outputs, n: number): Promise<void> {
  await waitFor(() => out.health().sinks[0].delivered >= n);
}

/** The uuids in the stream, each with how many times it is there. */
function uuidCounts(msgs: StoredNatsMsg[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const msg of msgs) {
    const uuid = (JSON.parse(msg.data) as Alert).uuid;
    m.set(uuid, (m.get(uuid) ?? 0) + 1);
  }
  return m;
}

test('each alert on vigil.alerts.<host> under its uuid; a resend after a restart is dropped', async (t) => {
  if (missing) return t.skip('nats-server not installed');
  const server = await startNats(join(dir, 'single'));
  try {
    const db = join(dir, 'single.db');
    const alerts = [
      makeAlert(1),
      makeAlert(2, { hostname: 'web-1.prod.example' }),
      makeAlert(3, { hostname: 'odd host*>\tname', output: 'ünïcode ✓' }),
    ];
    let out = await openOutputs({ store: { path: db }, sinks: [natsSink([server.url])] }, quiet);
    for (const a of alerts) out.submit(a);
    await delivered(out, 3);
    await out.close();

    const msgs = await streamMessages({ servers: server.url });
    assert.deepEqual(
      msgs.map((m) => m.subject),
      ['vigil.alerts.node-7', 'vigil.alerts.web-1_prod_example', 'vigil.alerts.odd_host___name'],
    );
    msgs.forEach((m, i) => {
      assert.equal(m.msgId, alerts[i].uuid);
      assert.deepEqual(JSON.parse(m.data), alerts[i], 'the alert JSON as vigil run --json prints it');
    });
    const info = await streamInfo({ servers: server.url });
    assert.deepEqual(info.config.subjects, ['vigil.>']);
    assert.ok(info.config.duplicate_window >= 120e9, 'duplicate window of at least two minutes');

    // A restart on the same store owes nothing; a fresh store (its outbox lost) resends all three,
    // and the stream's dedup by Nats-Msg-Id drops them.
    out = await openOutputs({ store: { path: db }, sinks: [natsSink([server.url])] }, quiet);
    assert.equal(out.health().sinks[0].pending, 0);
    await out.close();
    out = await openOutputs(
      { store: { path: join(dir, 'fresh.db') }, sinks: [natsSink([server.url])] },
      quiet,
    );
    for (const a of alerts) out.submit(a);
    await delivered(out, 3);
    await out.close();
    assert.equal((await streamMessages({ servers: server.url })).length, 3);
  } finally {
    await server.stop();
  }
});

test('server down: alerts wait in the outbox, then go in once when it is back', async (t) => {
  if (missing) return t.skip('nats-server not installed');
  const server = await startNats(join(dir, 'outage'));
  const out = await openOutputs(
    { store: { path: join(dir, 'outage.db') }, sinks: [natsSink([server.url])] },
    quiet,
  );
  try {
    for (let i = 0; i < 100; i++) out.submit(makeAlert(i));
    await delivered(out, 100);
    await server.stop('SIGKILL');
    for (let i = 100; i < 600; i++) out.submit(makeAlert(i));
    await waitFor(() => out.health().sinks[0].failedAttempts > 0);
    const during = out.health().sinks[0];
    assert.equal(during.delivered, 100);
    assert.equal(during.pending, 500, 'the alerts sent during the outage are owed, not lost');
    await server.start();
    await delivered(out, 600);
    const counts = uuidCounts(await streamMessages({ servers: server.url }));
    assert.equal(counts.size, 600);
    assert.ok(
      [...counts.values()].every((c) => c === 1),
      'each alert once',
    );
  } finally {
    await out.close();
    await server.stop();
  }
});

/** A node's death makes the cluster elect new leaders: a JetStream request can time out meanwhile. */
async function answered<T>(f: () => Promise<T>, tries = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await f();
    } catch (err) {
      if (i >= tries || (err as Error).name !== 'TimeoutError') throw err;
    }
  }
}

test('three-node cluster, stream replicated three times: one node killed, publishing goes on', async (t) => {
  if (missing) return t.skip('nats-server not installed');
  const cluster = await startNatsCluster(join(dir, 'cluster'));
  const out = await openOutputs(
    {
      store: { path: join(dir, 'cluster.db') },
      sinks: [natsSink(cluster.urls, { replicas: 3, timeout_ms: 5000 })],
    },
    quiet,
  );
  try {
    const burst = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i += 50) {
        for (let j = i; j < Math.min(to, i + 50); j++) out.submit(makeAlert(j));
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    await burst(0, 1000);
    await waitFor(() => out.health().sinks[0].delivered >= 300);
    await cluster.nodes[0].stop('SIGKILL');
    await burst(1000, 2000);
    await delivered(out, 2000);

    const servers = cluster.urls.slice(1);
    const info = await answered(() => streamInfo({ servers }));
    assert.equal(info.config.num_replicas, 3);
    const counts = uuidCounts(await answered(() => streamMessages({ servers })));
    assert.equal(counts.size, 2000);
    assert.ok(
      [...counts.values()].every((c) => c === 1),
      'each alert once',
    );
  } finally {
    await out.close();
    await cluster.stop();
  }
});

// Runs from test/ under tsx and from dist/test/ compiled (make test).
const COMPILED = import.meta.url.endsWith('.js');
const CHILD = new URL(`./support/burst-child.${COMPILED ? 'js' : 'ts'}`, import.meta.url).pathname;
const LOADER = COMPILED ? [] : ['--import', 'tsx'];

function runChild(args: string[], onLine: (line: string) => void) {
  const child = spawn(process.execPath, [...LOADER, CHILD, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  createInterface({ input: child.stdout! }).on('line', onLine);
  return {
    kill: () => child.kill('SIGKILL'),
    exit: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))),
  };
}

test('kill -9 of the agent mid-burst: every committed alert exactly once in the stream', async (t) => {
  if (missing) return t.skip('nats-server not installed');
  const server = await startNats(join(dir, 'kill9'));
  const db = join(dir, 'kill9.db');
  try {
    let reported = 0;
    const burst = runChild(['burst', db, server.url, '10000'], (line) => {
      const m = /^committed (\d+)$/.exec(line);
      if (m) reported = Number(m[1]);
    });
    await waitFor(async () => {
      const info = await streamInfo({ servers: server.url }).catch(() => undefined);
      return (info?.state.messages ?? 0) >= 2000;
    }, 50);
    burst.kill();
    await burst.exit;
    const atKill = (await streamInfo({ servers: server.url })).state.messages;

    const store = AlertStore.open(db, { readonly: true });
    const stored = store.query({}).map((r) => (JSON.parse(r.json) as Alert).uuid);
    store.close();
    assert.ok(stored.length >= reported, `stored ${stored.length} >= reported ${reported}`);

    let done = false;
    const resume = runChild(['resume', db, server.url], (line) => (done ||= line === 'done'));
    assert.equal(await resume.exit, 0);
    assert.ok(done);

    const msgs = await streamMessages({ servers: server.url });
    t.diagnostic(`killed with ${reported} committed, ${atKill} in the stream; stored ${stored.length}`);
    assert.deepEqual(
      msgs.map((m) => m.msgId),
      stored,
      'every stored alert in the stream once, in order',
    );
    assert.deepEqual(
      msgs.map((m) => seqOf(JSON.parse(m.data) as Alert)),
      [...Array(stored.length).keys()],
    );
  } finally {
    await server.stop();
  }
});
