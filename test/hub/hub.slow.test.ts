/**
 * `vigil hub` against a real nats-server (JetStream, one node) with its embedded SQLite store:
 * alerts from two hosts stored once each (redeliveries and republished duplicates included),
 * malformed and oversized messages terminated and counted, the API with its token, filters that
 * look like SQL, keyset pages, an alert's detail, stats, the playground, probes and metrics.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import type { RunningHub } from '../../src/hub/hub.js';
import { natsServerMissing, startNats, type NatsNode } from '../support/nats-server.js';
import { waitFor } from '../outputs/support/wait.js';
import { sampleEvent } from '../../src/engine/rule-tests/sample-event.js';
import {
  allPages,
  createStream,
  fleetAlert,
  hubApi,
  publishAlerts,
  publishRaw,
  TOKEN,
  startTestHub,
} from './support/hub-fixture.js';

const skip = natsServerMissing();
let dir: string;
let nats: NatsNode;
let nc: NatsConnection;
let hub: RunningHub;
let base: string;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'vigil-hub-'));
  nats = await startNats(join(dir, 'nats'));
  nc = await connect({ servers: nats.url });
  await createStream(nc);
  hub = await startTestHub(nats.url, join(dir, 'state'));
  base = `http://127.0.0.1:${hub.port}`;
});

after(async () => {
  if (skip) return;
  await hub.stop();
  await nc.close();
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
});

const metric = async (name: string): Promise<number> => {
  const text = (await hubApi(base, '/metrics')).body as string;
  const m = new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
};

test(
  'alerts from two hosts are stored once each; bad messages are terminated and counted',
  { skip },
  async () => {
    const alerts = [
      ...Array.from({ length: 300 }, (_, i) => fleetAlert('node-a', i)),
      ...Array.from({ length: 200 }, (_, i) =>
        fleetAlert('node-b', i, { rule: 'Shell in container', priority: 'Critical' }),
      ),
    ];
    await publishAlerts(nc, alerts);
    // The same alerts again under other message ids: the stream keeps them, the hub stores them once.
    await publishAlerts(nc, alerts.slice(0, 50), (a) => `again-${a.uuid}`);
    await publishRaw(nc, 'node-a', [
      'not json',
      '{"uuid": "x"}',
      JSON.stringify({ ...alerts[0], uuid: 'not-a-uuid' }),
      JSON.stringify({ ...alerts[1], uuid: '6c1f5d0e-0000-4000-8000-00000000abcd', priority: 'Loud' }),
      JSON.stringify({ ...alerts[1], uuid: '6c1f5d0e-0000-4000-8000-00000000abce', rule: 'a\u0000b' }),
      new Uint8Array([0xff, 0xfe, 0x00]),
    ]);
    await publishRaw(nc, 'node-b', [JSON.stringify({ ...alerts[2], output: 'x'.repeat(300 * 1024) })]);
    await waitFor(async () => (await metric('vigil_hub_alerts_duplicate_total')) >= 50, 100);
    assert.equal(await hub.store.count(), 500);
    await waitFor(
      async () => (await metric('vigil_hub_messages_refused_total{reason="malformed"}')) === 6,
      100,
    );
    assert.equal(await metric('vigil_hub_messages_refused_total{reason="oversized"}'), 1);
    assert.equal(await metric('vigil_hub_alerts_stored_total'), 500);
    const stored = await allPages(base, '', 64);
    assert.equal(stored.length, 500);
    assert.deepEqual(new Set(stored.map((a) => a.uuid)), new Set(alerts.map((a) => a.uuid)));
    // Everything was acknowledged or terminated: nothing is waiting.
    await waitFor(
      async () =>
        (await metric('vigil_hub_consumer_ack_pending')) === 0 &&
        (await metric('vigil_hub_consumer_pending')) === 0,
      200,
    );
  },
);

test('the API requires the token; filters are values, never SQL', { skip }, async () => {
  assert.equal((await hubApi(base, '/api/alerts', { token: null })).status, 401);
  const wrong = await hubApi(base, '/api/alerts', { token: 'wrong-token' });
  assert.equal(wrong.status, 401);
  assert.match(wrong.body.error, /unauthorized/);
  assert.equal((await hubApi(base, '/metrics', { token: 'wrong' })).status, 401);
  assert.equal((await hubApi(base, '/api/stats', { token: TOKEN.toUpperCase() })).status, 401);

  assert.equal((await allPages(base, 'host=node-b')).length, 200);
  assert.equal((await allPages(base, 'rule=Shell in container&priority=critical')).length, 200);
  assert.equal((await allPages(base, 'host=node-a&q=sensitive shadow')).length, 300);
  assert.equal((await allPages(base, 'tag=T1003&host=node-a')).length, 300);
  for (const evil of ["node-a' OR '1'='1", "'; DROP TABLE alerts; --", 'node-%', '1) OR (1=1']) {
    const r = await hubApi(
      base,
      `/api/alerts?host=${encodeURIComponent(evil)}&q=${encodeURIComponent(evil)}`,
    );
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.alerts, [], evil);
  }
  assert.equal(await hub.store.count(), 500);

  const bad = async (q: string, re: RegExp) => {
    const r = await hubApi(base, `/api/alerts?${q}`);
    assert.equal(r.status, 400, q);
    assert.match(r.body.error, re);
  };
  await bad('priority=Loud', /^priority: "Loud" is not one of Emergency/);
  await bad('limit=5000', /^limit:/);
  await bad('after=garbage', /^after: not a cursor/);
  await bad('since=yesterdayish', /since/);
  await bad(`host=${'x'.repeat(600)}`, /^host: longer than/);
});

test('an alert in detail: ancestry, container; stats over time', { skip }, async () => {
  const [first] = (await hubApi(base, '/api/alerts?host=node-a&limit=1')).body.alerts;
  const d = await hubApi(base, `/api/alerts/${first.uuid}`);
  assert.equal(d.status, 200);
  assert.equal(d.body.alert.uuid, first.uuid);
  assert.deepEqual(
    d.body.ancestry.map((p: { exe: string }) => p.exe),
    [first.event.proc.exe, '/usr/bin/bash', '/usr/sbin/sshd'],
  );
  assert.equal(d.body.container.id, '3ad7b26ded6d');
  assert.equal((await hubApi(base, '/api/alerts/6c1f5d0e-0000-4000-8000-000000000000')).status, 404);
  assert.equal((await hubApi(base, "/api/alerts/1' OR 1=1")).status, 400);

  const s = await hubApi(base, '/api/stats?since=2026-11-23T20:00:00Z&until=2026-11-23T22:00:00Z');
  assert.equal(s.status, 200);
  assert.equal(
    s.body.buckets.reduce((n: number, [, c]: [number, number]) => n + c, 0),
    500,
  );
  assert.deepEqual(
    s.body.hosts.map((h: { key: string; count: number }) => [h.key, h.count]),
    [
      ['node-a', 300],
      ['node-b', 200],
    ],
  );
});

const RULE = `- rule: Shadow read
  desc: test
  condition: evt.type in (open, openat, openat2) and fd.name = /etc/shadow
  output: shadow read by %proc.name
  priority: WARNING
`;

test(
  'the playground: errors with line and column; matches in uploaded and published events',
  { skip },
  async () => {
    const broken = await hubApi(base, '/api/playground', {
      post: { rule: RULE.replace('fd.name =', 'fd.nmae =') },
    });
    assert.equal(broken.status, 200);
    assert.equal(broken.body.ok, false);
    const [e] = broken.body.errors;
    assert.equal(e.file, 'playground.yaml');
    assert.equal(e.line, 3);
    assert.ok(e.col > 1);
    assert.match(e.message, /fd\.nmae/);

    const open = (name: string) =>
      sampleEvent({
        type: 'openat',
        ret: 3,
        args: { flags: 0 },
        fd: { num: 3, type: 'file', name },
      } as never);
    const events = [open('/etc/shadow'), open('/etc/hosts'), open('/etc/shadow')]
      .map((e) => JSON.stringify(e))
      .join('\n');
    const up = await hubApi(base, '/api/playground', { post: { rule: RULE, events } });
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assert.equal(up.body.ok, true);
    assert.equal(up.body.events, 3);
    assert.equal(up.body.matched, 2);
    assert.equal(up.body.alerts[0].rule, 'Shadow read');

    const badEvents = await hubApi(base, '/api/playground', { post: { rule: RULE, events: 'nope\n' } });
    assert.equal(badEvents.body.ok, false);
    assert.equal(badEvents.body.errors[0].line, 1);

    const js = jetstream(nc);
    await js.publish('vigil.events.node-a', JSON.stringify(JSON.parse(events.split('\n')[0])));
    await js.publish('vigil.events.node-b', events.split('\n').slice(1).join('\n'));
    const pub = await hubApi(base, '/api/playground', { post: { rule: RULE } });
    assert.equal(pub.body.ok, true, JSON.stringify(pub.body));
    assert.equal(pub.body.events, 3);
    assert.deepEqual(pub.body.alerts.map((a: { hostname: string }) => a.hostname).sort(), [
      'node-a',
      'node-b',
    ]);

    assert.equal((await hubApi(base, '/api/playground', { post: { nope: 1 } })).status, 400);
  },
);

test('probes are open, metrics and the API are not; the console is served', { skip }, async () => {
  assert.equal((await hubApi(base, '/livez', { token: null })).status, 200);
  const ready = await hubApi(base, '/readyz?verbose', { token: null });
  assert.equal(ready.status, 200);
  assert.match(ready.body, /\[\+\]nats ok\n\[\+\]consumer ok\n\[\+\]store ok/);
  const page = await fetch(base + '/');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  assert.match(await page.text(), /vigil hub/);
  assert.equal((await fetch(base + '/console.js')).status, 200);
  assert.equal((await fetch(base + '/../package.json')).status, 404);
});
