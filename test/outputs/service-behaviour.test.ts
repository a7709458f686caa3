/**
 * Sinks that behave as their services expect, against real HTTP servers on 127.0.0.1: Retry-After
 * honoured, Slack paced to one post per second with what a post cannot carry summarised, Splunk's
 * `index` always sent when configured, webhook bodies as one object per alert, the documented ECS
 * transform giving a numeric `event.severity`, and `pending` counting each owed alert once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import jsonata from 'jsonata';
import pino from 'pino';
import { packageRoot } from '../../src/config/paths.js';
import { openOutputs } from '../../src/outputs/index.js';
import { retryAfterMs, MAX_RETRY_AFTER_MS } from '../../src/outputs/sinks/http-client.js';
import { makeAlert, seqOf } from './support/alerts.js';
import { startReceiver } from './support/http-receiver.js';
import { waitFor } from './support/wait.js';

const logger = pino({ level: 'silent' });

test('Retry-After: delay-seconds and HTTP-date, capped', () => {
  const now = Date.parse('2026-11-23T21:00:00Z');
  assert.equal(retryAfterMs('2', now), 2000);
  assert.equal(retryAfterMs(' 0 ', now), 0);
  assert.equal(retryAfterMs('Mon, 23 Nov 2026 21:00:30 GMT', now), 30_000);
  assert.equal(retryAfterMs('Mon, 23 Nov 2026 20:00:00 GMT', now), 0, 'a date in the past: now');
  assert.equal(retryAfterMs('999999', now), MAX_RETRY_AFTER_MS);
  assert.equal(retryAfterMs('soon', now), undefined);
  assert.equal(retryAfterMs(undefined, now), undefined);
});

test('Slack 429 with Retry-After: the retry waits as long as asked, not the backoff', async () => {
  let calls = 0;
  const rx = await startReceiver(() =>
    ++calls === 1
      ? { status: 429, body: 'rate_limited', headers: { 'retry-after': '2' } }
      : { status: 200, body: 'ok' },
  );
  const out = await openOutputs(
    {
      store: { enabled: false },
      sinks: [
        {
          type: 'slack',
          webhook_url: `${rx.url}/services/T1/B2/abcdefgh12345678`,
          batch: { max_wait_ms: 0 },
          retry: { initial_ms: 10, max_ms: 50 },
        },
      ],
    },
    logger,
  );
  const start = Date.now();
  out.submit(makeAlert(1));
  await rx.until((r) => r.length === 1);
  const waited = rx.requests[0].at - start;
  await waitFor(() => out.health().sinks[0].delivered === 1);
  const h = out.health().sinks[0];
  await out.close();
  await rx.close();
  assert.equal(calls, 2);
  assert.ok(waited >= 2000, `retried after ${waited} ms, asked 2000`);
  assert.equal(h.failedAttempts, 1);
  assert.equal(h.delivered, 1);
});

test('Slack by default: one post per second; what a post cannot carry is summarised per rule', async () => {
  const rx = await startReceiver();
  const out = await openOutputs(
    { store: { enabled: false }, sinks: [{ type: 'slack', webhook_url: `${rx.url}/services/T1/B2/x` }] },
    logger,
  );
  // A burst of 45 (batch.max_size 20): one post with 20 alerts and "25 more" (two rules).
  for (let i = 1; i <= 45; i++) out.submit(makeAlert(i, i % 5 === 0 ? { rule: 'Shell in container' } : {}));
  await rx.until((r) => r.length === 1);
  // Then a steady 25 alerts a second for 2.4 s: never more than a post a second.
  for (let i = 46; i <= 105; i++) {
    out.submit(makeAlert(i));
    await new Promise((r) => setTimeout(r, 40));
  }
  await waitFor(() => {
    const s = out.health().sinks[0];
    return s.delivered + s.suppressed === 105;
  });
  const h = out.health().sinks[0];
  await out.close();
  await rx.close();
  const first = JSON.parse(rx.requests[0].body) as { text: string; attachments: { fallback: string }[] };
  assert.match(first.text, /20 alerts from 2 rules/);
  const summaries = first.attachments.map((a) => a.fallback).filter((f) => f.includes('more alert'));
  assert.deepEqual(summaries.sort(), [
    '20 more alerts from rule "Read sensitive file untrusted" in the last 1s (suppressed by rate limit or dedup)',
    '5 more alerts from rule "Shell in container" in the last 1s (suppressed by rate limit or dedup)',
  ]);
  for (let i = 1; i < rx.requests.length; i++) {
    const gap = rx.requests[i].at - rx.requests[i - 1].at;
    assert.ok(gap >= 990, `post ${i} came ${gap} ms after the previous one`);
  }
  assert.ok(rx.requests.length >= 3, `${rx.requests.length} posts`);
  assert.ok(h.suppressed >= 25, `held back and summarised: ${h.suppressed}`);
});

test('Splunk HEC: a configured index is always sent, whatever its name; none when not configured', async () => {
  for (const index of ['vigil-alerts', 'main', undefined]) {
    const rx = await startReceiver(() => ({ status: 200, body: '{"text":"Success","code":0}' }));
    const out = await openOutputs(
      {
        store: { enabled: false },
        sinks: [{ type: 'http', format: 'splunk-hec', url: rx.url, token: 't-12345678', index }],
      },
      logger,
    );
    out.submit(makeAlert(1));
    await rx.until((r) => r.length === 1);
    await out.close();
    await rx.close();
    const e = JSON.parse(rx.requests[0].body.trim()) as { index?: string };
    assert.equal(e.index, index, String(index));
    assert.equal('index' in e, index !== undefined);
  }
});

test('webhook body: object posts each alert alone (PagerDuty Events v2 shape through a transform)', async () => {
  const rx = await startReceiver(() => ({ status: 202, body: '{"status":"success"}' }));
  const out = await openOutputs(
    {
      store: { enabled: false },
      sinks: [
        {
          type: 'http',
          format: 'webhook',
          body: 'object',
          url: `${rx.url}/v2/enqueue`,
          rate_limit: { max: 2, window_ms: 200 },
          transform:
            '{ "routing_key": "R0123456789", "event_action": "trigger", "dedup_key": uuid, ' +
            '"payload": { "summary": rule & ": " & output, "source": hostname, ' +
            '"severity": priority in ["Emergency","Alert","Critical"] ? "critical" : priority = "Error" ? "error" : "warning" } }',
        },
      ],
    },
    logger,
  );
  for (let i = 1; i <= 3; i++) out.submit(makeAlert(i, { priority: i === 2 ? 'Critical' : 'Warning' }));
  await rx.until((r) => r.length === 3);
  await out.close();
  await rx.close();
  const bodies = rx.requests.map((r) => JSON.parse(r.body) as Record<string, never>);
  for (const b of bodies) {
    assert.equal(Array.isArray(b), false, 'one object per POST');
    assert.equal(b.event_action, 'trigger');
  }
  assert.deepEqual(
    bodies.slice(0, 2).map((b) => (b.payload as { severity: string }).severity),
    ['warning', 'critical'],
  );
  assert.equal(bodies[0].dedup_key, makeAlert(1).uuid);
  // The summary of the third (rate-limited) alert goes through the same transform.
  assert.match((bodies[2].payload as { summary: string }).summary, /1 more alert from rule/);
  assert.deepEqual(
    rx.requests.map((r) => String(r.headers['idempotency-key']).split('/')[1]),
    ['0', '1', '0'],
  );
});

test('webhook body: array (the default) stays one JSON array per batch', async () => {
  const rx = await startReceiver();
  const out = await openOutputs(
    { store: { enabled: false }, sinks: [{ type: 'http', url: rx.url, batch: { max_wait_ms: 50 } }] },
    logger,
  );
  for (let i = 1; i <= 3; i++) out.submit(makeAlert(i));
  await rx.until((r) => r.length === 1);
  await out.close();
  await rx.close();
  assert.deepEqual((JSON.parse(rx.requests[0].body) as { uuid: string }[]).map(seqOf), [1, 2, 3]);
});

test("docs/outputs.md's ECS transform gives event.severity as a number", async () => {
  const doc = readFileSync(join(packageRoot(), 'docs/outputs.md'), 'utf8');
  const block = /format: elastic-bulk[\s\S]*?transform: \|\n([\s\S]*?)\n\n/.exec(doc);
  assert.ok(block, 'the elastic-bulk example with its transform');
  const ecs = (await jsonata(block[1]).evaluate(makeAlert(1, { priority: 'Critical' }))) as {
    event: { severity: unknown };
    log: { level: string };
  };
  assert.equal(ecs.event.severity, 2, 'ECS event.severity is a long: the syslog severity');
  assert.equal(ecs.log.level, 'Critical');
});

test('pending counts each owed alert once: memory queue, batch in flight, stored backlog', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-pending-'));
  const rx = await startReceiver(() => ({ status: 503, body: 'down' }));
  const out = await openOutputs(
    {
      store: { path: join(dir, 'alerts.db') },
      sinks: [
        { type: 'http', name: 'queued', url: rx.url, batch: { max_size: 100, max_wait_ms: 0 } },
        { type: 'http', name: 'backlog', url: rx.url, batch: { max_size: 100 }, queue_size: 50 },
        { type: 'http', name: 'critical-only', url: rx.url, min_priority: 'Critical' },
      ],
    },
    logger,
  );
  try {
    for (let i = 1; i <= 301; i++) out.submit(makeAlert(i));
    await waitFor(() => out.health().sinks.every((s) => s.name === 'critical-only' || s.failedAttempts > 0));
    const by = Object.fromEntries(out.health().sinks.map((s) => [s.name, s]));
    assert.equal(by.queued.pending, 301, JSON.stringify(by.queued));
    assert.equal(by.backlog.pending, 301, JSON.stringify(by.backlog));
    assert.equal(by['critical-only'].pending, 0, 'Warning alerts are not owed to a Critical-only sink');
    assert.equal(by['critical-only'].outboxLag, 301, 'the outbox lag counts every stored alert');
  } finally {
    await out.close();
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
