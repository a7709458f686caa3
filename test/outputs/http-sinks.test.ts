/**
 * Slack, Splunk HEC, Elasticsearch _bulk and Falco-shaped payloads, received by a real HTTP server
 * on 127.0.0.1 and checked against the shapes those APIs document.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import type { Alert } from '../../src/event/alert.js';
import { openOutputs } from '../../src/outputs/index.js';
import type { SinkConfig } from '../../src/outputs/config.js';
import { makeAlert, seqOf } from './support/alerts.js';
import { startReceiver, type Receiver } from './support/http-receiver.js';

const logger = pino({ level: 'silent' });

async function deliver(
  sink: SinkConfig,
  alerts: Alert[],
  rx: Receiver,
  done: (rx: Receiver) => boolean,
): Promise<void> {
  const out = await openOutputs({ store: { enabled: false }, sinks: [sink] }, logger);
  for (const a of alerts) out.submit(a);
  await rx.until(() => done(rx));
  await out.close();
  await rx.close();
}

test('Slack: Block Kit attachments coloured by priority; a burst is one grouped message', async () => {
  const rx = await startReceiver(() => ({ status: 200, body: 'ok' }));
  const single = [makeAlert(1, { priority: 'Critical' })];
  const burst = Array.from({ length: 12 }, (_, i) =>
    makeAlert(10 + i, i < 4 ? { rule: 'Shell in container', priority: 'Notice' } : {}),
  );
  const out = await openOutputs(
    {
      store: { enabled: false },
      sinks: [
        {
          type: 'slack',
          webhook_url: `${rx.url}/services/T0001/B0002/abcdefgh12345678`,
          batch: { max_wait_ms: 50 },
        },
      ],
    },
    logger,
  );
  out.submit(single[0]);
  await rx.until((r) => r.length === 1);
  for (const a of burst) out.submit(a);
  await rx.until((r) => r.length === 2);
  await out.close();
  await rx.close();

  for (const req of rx.requests) {
    assert.equal(req.url, '/services/T0001/B0002/abcdefgh12345678');
    assert.match(String(req.headers['content-type']), /^application\/json/);
    const p = JSON.parse(req.body);
    assert.equal(typeof p.text, 'string');
    assert.ok(Array.isArray(p.attachments) && p.attachments.length <= 20);
    for (const att of p.attachments) {
      assert.match(att.color, /^#[0-9a-f]{6}$/);
      assert.ok(att.blocks.length <= 50);
      for (const b of att.blocks) {
        assert.ok(['section', 'context'].includes(b.type));
        if (b.text) {
          assert.equal(b.text.type, 'mrkdwn');
          assert.ok(b.text.text.length <= 3000);
        }
        if (b.fields)
          assert.ok(b.fields.length <= 10 && b.fields.every((f: { type: string }) => f.type === 'mrkdwn'));
      }
    }
  }
  const one = JSON.parse(rx.requests[0].body);
  assert.equal(one.attachments.length, 1);
  assert.equal(one.attachments[0].color, '#d00000', 'Critical is red');
  const facts = JSON.stringify(one.attachments[0].blocks[1].fields);
  for (const want of [
    'Host',
    'node-7',
    'Container',
    '3ad7b26ded6d',
    'Parents',
    'bash (4200)',
    'sshd (1)',
    'cat /etc/shadow',
  ]) {
    assert.ok(facts.includes(want), want);
  }
  assert.ok(one.attachments[0].blocks[0].text.text.includes('file=/etc/shadow'));
  const grouped = JSON.parse(rx.requests[1].body);
  assert.match(grouped.text, /12 alerts from 2 rules/);
  assert.equal(grouped.attachments.length, 2);
  assert.match(grouped.attachments[0].blocks[0].text.text, /Read sensitive file untrusted\* — 8 alerts/);
});

test('Splunk HEC: event envelopes with epoch time, host, sourcetype; Splunk token auth', async () => {
  const rx = await startReceiver(() => ({ status: 200, body: '{"text":"Success","code":0}' }));
  const alerts = [makeAlert(1), makeAlert(2, { priority: 'Error' })];
  await deliver(
    {
      type: 'http',
      format: 'splunk-hec',
      url: rx.url,
      token: '11111111-2222-3333-4444-555555555555',
      index: 'sec',
    },
    alerts,
    rx,
    (r) => r.requests.length > 0,
  );
  const req = rx.requests[0];
  assert.equal(req.url, '/services/collector/event');
  assert.equal(req.headers.authorization, 'Splunk 11111111-2222-3333-4444-555555555555');
  const events = req.body
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(events.length, 2);
  for (const [i, e] of events.entries()) {
    assert.equal(typeof e.time, 'number');
    assert.equal(e.time, Date.parse(alerts[i].time) / 1000);
    assert.equal(e.host, 'node-7');
    assert.equal(e.source, 'vigil');
    assert.equal(e.sourcetype, 'vigil:alert');
    assert.equal(e.index, 'sec');
    assert.deepEqual(e.event, alerts[i]);
  }
});

test('Elasticsearch _bulk: create actions keyed by uuid; 429 items retried, 409 counts as done', async () => {
  let calls = 0;
  const rx = await startReceiver((req) => {
    calls++;
    const lines = req.body.trim().split('\n');
    const items = [];
    for (let i = 0; i < lines.length; i += 2) {
      const status = calls === 1 ? (i === 0 ? 201 : 429) : i === 0 ? 409 : 201;
      items.push({ create: { _index: 'vigil-alerts', _id: JSON.parse(lines[i]).create._id, status } });
    }
    return { status: 200, body: JSON.stringify({ took: 1, errors: true, items }) };
  });
  const out = await openOutputs(
    {
      store: { enabled: false },
      sinks: [
        {
          type: 'http',
          format: 'elastic-bulk',
          url: `${rx.url}/`,
          api_key: 'a2V5OnNlY3JldA==',
          retry: { initial_ms: 10, max_ms: 20 },
          transform:
            '{ "@timestamp": time, "event": { "kind": "alert", "id": uuid, "severity": priority }, "rule": { "name": rule }, "host": { "name": hostname }, "process": { "pid": event.proc.pid, "executable": event.proc.exe, "parent": { "pid": event.proc.ppid } }, "container": { "id": event.proc.container_id } }',
        },
      ],
    },
    logger,
  );
  out.submit(makeAlert(1));
  out.submit(makeAlert(2));
  await rx.until((r) => r.length >= 2);
  await out.close();
  await rx.close();
  assert.equal(rx.requests.length, 2, 'retried once');
  for (const req of rx.requests) {
    assert.equal(req.url, '/_bulk');
    assert.equal(req.headers['content-type'], 'application/x-ndjson');
    assert.equal(req.headers.authorization, 'ApiKey a2V5OnNlY3JldA==');
    assert.ok(req.body.endsWith('\n'));
    const lines = req.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 4);
    assert.deepEqual(lines[0], { create: { _index: 'vigil-alerts', _id: makeAlert(1).uuid } });
    assert.deepEqual(lines[1], {
      '@timestamp': makeAlert(1).time,
      event: { kind: 'alert', id: makeAlert(1).uuid, severity: 'Warning' },
      rule: { name: 'Read sensitive file untrusted' },
      host: { name: 'node-7' },
      process: { pid: 4242, executable: '/usr/bin/cat', parent: { pid: 4200 } },
      container: { id: '3ad7b26ded6d' },
    });
  }
  assert.equal(out.health().sinks[0].delivered, 2);
});

test('webhook with a JSONata transform into OCSF-like fields; an invalid transform is a config error', async () => {
  const rx = await startReceiver();
  await deliver(
    {
      type: 'http',
      url: rx.url,
      headers: { 'X-Api-Key': 'k-12345678' },
      transform:
        '{ "class_uid": 1007, "severity": priority, "message": output, "actor": { "process": { "pid": event.proc.pid } } }',
    },
    [makeAlert(7)],
    rx,
    (r) => r.requests.length > 0,
  );
  assert.equal(rx.requests[0].headers['x-api-key'], 'k-12345678');
  assert.deepEqual(JSON.parse(rx.requests[0].body), [
    { class_uid: 1007, severity: 'Warning', message: makeAlert(7).output, actor: { process: { pid: 4242 } } },
  ]);
  await assert.rejects(
    openOutputs(
      {
        store: { enabled: false },
        sinks: [{ type: 'http', url: 'http://127.0.0.1:9', transform: '{ "a": ' }],
      },
      logger,
    ),
    /outputs\.sinks\[0\]\.transform: not valid JSONata/,
  );
});

test('a permanent refusal (HTTP 400) drops the batch and the sink moves on', async () => {
  let n = 0;
  const rx = await startReceiver(() =>
    n++ === 0 ? { status: 400, body: 'invalid_payload' } : { status: 200 },
  );
  const out = await openOutputs(
    {
      store: { enabled: false },
      sinks: [{ type: 'http', url: rx.url, batch: { max_size: 1, max_wait_ms: 0 } }],
    },
    logger,
  );
  out.submit(makeAlert(1));
  out.submit(makeAlert(2));
  await rx.until((r) => r.length === 1);
  const h = out.health().sinks[0];
  await out.close();
  await rx.close();
  assert.deepEqual(JSON.parse(rx.requests[0].body).map(seqOf), [2]);
  assert.equal(h.dropped, 1);
  assert.match(h.lastError ?? '', /HTTP 400 invalid_payload/);
});
