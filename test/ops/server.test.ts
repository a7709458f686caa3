/** The ops endpoint, scraped over real HTTP on 127.0.0.1 (port 0: the kernel picks a free one). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import {
  AgentMetrics,
  startOpsServer,
  parseListen,
  type HealthCheck,
  type OpsServer,
} from '../../src/ops/index.js';

async function serve(
  metrics: AgentMetrics,
  extra: { token?: string; live?: HealthCheck[]; ready?: HealthCheck[] } = {},
): Promise<OpsServer> {
  return startOpsServer({
    listen: '127.0.0.1:0',
    token: extra.token,
    metrics,
    health:
      extra.live || extra.ready
        ? {
            liveness: () => extra.live ?? [],
            readiness: () => extra.ready ?? [],
            status: () => ({ checks: [...(extra.live ?? []), ...(extra.ready ?? [])] }),
          }
        : undefined,
  });
}

const url = (s: OpsServer, path: string): string => `http://127.0.0.1:${s.port}${path}`;

/** Value of one sample line in the exposition text, e.g. `vigil_rule_matches_total{rule="x"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('metrics content: events per type, drops, matches per rule, evaluation histogram, sinks, queues', async (t) => {
  const metrics = new AgentMetrics();
  let kernelDrops = 3;
  metrics.setSources({
    kernelDrops: () => kernelDrops,
    queueDepths: () => ({ engine: 17 }),
    processTableSize: () => 412,
    rulesLoaded: () => 80,
    sinks: () => [
      { sink: 'slack', delivered: 5, failed: 2, pending: 1 },
      { sink: 'sqlite', delivered: 9, failed: 0 },
    ],
  });
  for (let i = 0; i < 1000; i++) metrics.eventReceived('openat');
  metrics.eventReceived('execve', 7);
  metrics.eventEvaluated('openat', 990);
  metrics.eventsDropped('queue', 4);
  metrics.ruleMatched('Read sensitive file untrusted');
  metrics.ruleMatched('Read sensitive file untrusted');
  metrics.ruleMatched('Terminal shell in container');
  metrics.evaluationTime(3e-6);
  metrics.evaluationTime(2e-6, 9);
  metrics.evaluationTime(0.5);

  const s = await serve(metrics);
  t.after(() => s.close());
  const res = await fetch(url(s, '/metrics'));
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();

  assert.equal(sample(text, 'vigil_events_received_total{type="openat"}'), 1000);
  assert.equal(sample(text, 'vigil_events_received_total{type="execve"}'), 7);
  assert.equal(sample(text, 'vigil_events_evaluated_total{type="openat"}'), 990);
  assert.equal(sample(text, 'vigil_events_dropped_total{where="kernel"}'), 3);
  assert.equal(sample(text, 'vigil_events_dropped_total{where="queue"}'), 4);
  assert.equal(sample(text, 'vigil_rule_matches_total{rule="Read sensitive file untrusted"}'), 2);
  assert.equal(sample(text, 'vigil_rule_matches_total{rule="Terminal shell in container"}'), 1);
  assert.equal(sample(text, 'vigil_rule_evaluation_seconds_bucket{le="0.0000025"}'), 9);
  assert.equal(sample(text, 'vigil_rule_evaluation_seconds_bucket{le="0.000005"}'), 10);
  assert.equal(sample(text, 'vigil_rule_evaluation_seconds_bucket{le="0.01"}'), 10);
  assert.equal(sample(text, 'vigil_rule_evaluation_seconds_bucket{le="+Inf"}'), 11);
  assert.equal(sample(text, 'vigil_rule_evaluation_seconds_count'), 11);
  assert.ok(Math.abs((sample(text, 'vigil_rule_evaluation_seconds_sum') ?? 0) - 0.500021) < 1e-9);
  assert.equal(sample(text, 'vigil_sink_deliveries_total{sink="slack"}'), 5);
  assert.equal(sample(text, 'vigil_sink_failures_total{sink="slack"}'), 2);
  assert.equal(sample(text, 'vigil_sink_deliveries_total{sink="sqlite"}'), 9);
  assert.equal(sample(text, 'vigil_sink_pending{sink="slack"}'), 1);
  assert.equal(sample(text, 'vigil_queue_depth{queue="engine"}'), 17);
  assert.equal(sample(text, 'vigil_process_table_size'), 412);
  assert.equal(sample(text, 'vigil_rules_loaded'), 80);
  assert.equal(sample(text, 'vigil_ready'), 0);
  assert.match(text, /^process_resident_memory_bytes \d+/m);

  // A second scrape reflects new values and does not double-count mirrored counters.
  kernelDrops = 5;
  metrics.eventReceived('openat');
  const again = await (await fetch(url(s, '/metrics'))).text();
  assert.equal(sample(again, 'vigil_events_received_total{type="openat"}'), 1001);
  assert.equal(sample(again, 'vigil_events_dropped_total{where="kernel"}'), 5);
  assert.equal(sample(again, 'vigil_rule_matches_total{rule="Read sensitive file untrusted"}'), 2);
});

test('without agent checks: live while answering, ready once metrics say so', async (t) => {
  const metrics = new AgentMetrics({ processMetrics: false });
  const s = await serve(metrics);
  t.after(() => s.close());
  const health = await fetch(url(s, '/healthz'));
  assert.equal(health.status, 200);
  assert.equal(await health.text(), 'ok\n');
  assert.equal((await fetch(url(s, '/livez'))).status, 200);
  const before = await fetch(url(s, '/readyz'));
  assert.equal(before.status, 503);
  assert.equal(await before.text(), '[-]probes failed\nreadyz check failed\n');
  metrics.setReady(true);
  const after = await fetch(url(s, '/readyz'));
  assert.equal(after.status, 200);
  assert.equal(await after.text(), 'ok\n');
  assert.equal((await fetch(url(s, '/nope'))).status, 404);
  const raw = await new Promise<string>((resolve, reject) => {
    const sock = connect(s.port, '127.0.0.1', () => sock.end('GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n'));
    let got = '';
    sock.on('data', (d) => (got += d.toString()));
    sock.on('end', () => resolve(got));
    sock.on('error', reject);
  });
  assert.match(raw, /^HTTP\/1\.1 400 /, 'a malformed target is refused, the server stays up');
  assert.equal((await fetch(url(s, '/livez'))).status, 200);
  assert.equal((await fetch(url(s, '/metrics'), { method: 'POST' })).status, 405);
});

test('a failing sink fails readiness only; verbose and exclude as the Kubernetes API server', async (t) => {
  const metrics = new AgentMetrics({ processMetrics: false });
  const s = await serve(metrics, {
    live: [
      { name: 'probes', ok: true },
      { name: 'ring', ok: true },
    ],
    ready: [
      { name: 'store', ok: true },
      { name: 'sink:slack', ok: false, reason: 'POST https://hooks.slack.com/***: HTTP 503' },
    ],
  });
  t.after(() => s.close());
  for (const path of ['/healthz', '/livez']) {
    const res = await fetch(url(s, path));
    assert.equal(res.status, 200, path);
    assert.equal(await res.text(), 'ok\n');
  }
  const verbose = await fetch(url(s, '/livez?verbose'));
  assert.equal(await verbose.text(), '[+]probes ok\n[+]ring ok\nlivez check passed\n');
  const ready = await fetch(url(s, '/readyz'));
  assert.equal(ready.status, 503);
  const body = await ready.text();
  assert.equal(body, '[+]probes ok\n[+]ring ok\n[+]store ok\n[-]sink:slack failed\nreadyz check failed\n');
  assert.doesNotMatch(body, /hooks|HTTP/, 'the open probe gives no reason');
  const excluded = await fetch(url(s, '/readyz?exclude=sink:slack'));
  assert.equal(excluded.status, 200);
  const status = await fetch(url(s, '/status'));
  assert.equal(status.status, 200);
  assert.match(status.headers.get('content-type') ?? '', /application\/json/);
  const json = (await status.json()) as { checks: HealthCheck[] };
  assert.equal(
    json.checks.find((c) => c.name === 'sink:slack')?.reason,
    'POST https://hooks.slack.com/***: HTTP 503',
  );
});

test('a liveness check failing fails both probes', async (t) => {
  const metrics = new AgentMetrics({ processMetrics: false });
  const s = await serve(metrics, { live: [{ name: 'ring', ok: false, reason: 'stalled' }] });
  t.after(() => s.close());
  const res = await fetch(url(s, '/healthz'));
  assert.equal(res.status, 503);
  assert.equal(await res.text(), '[-]ring failed\nlivez check failed\n');
  assert.equal((await fetch(url(s, '/readyz'))).status, 503);
});

test('bearer token: /metrics refuses a missing or wrong token; probes stay open', async (t) => {
  const metrics = new AgentMetrics({ processMetrics: false });
  metrics.setReady(true);
  const s = await serve(metrics, { token: 'tok-123' });
  t.after(() => s.close());
  const none = await fetch(url(s, '/metrics'));
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
  const wrong = await fetch(url(s, '/metrics'), { headers: { authorization: 'Bearer tok-124' } });
  assert.equal(wrong.status, 401);
  const basic = await fetch(url(s, '/metrics'), { headers: { authorization: 'Basic dG9rLTEyMw==' } });
  assert.equal(basic.status, 401);
  const right = await fetch(url(s, '/metrics'), { headers: { authorization: 'Bearer tok-123' } });
  assert.equal(right.status, 200);
  assert.match(await right.text(), /^vigil_ready 1$/m);
  assert.equal((await fetch(url(s, '/status'))).status, 401);
  const status = await fetch(url(s, '/status'), { headers: { authorization: 'Bearer tok-123' } });
  assert.equal(status.status, 200);
  assert.equal(((await status.json()) as { ready: boolean }).ready, true);
  assert.equal((await fetch(url(s, '/healthz'))).status, 200);
  assert.equal((await fetch(url(s, '/livez'))).status, 200);
  assert.equal((await fetch(url(s, '/readyz'))).status, 200);
});

test('listens on the configured loopback address only', async (t) => {
  const s = await startOpsServer({
    listen: '127.0.0.1:0',
    metrics: new AgentMetrics({ processMetrics: false }),
  });
  t.after(() => s.close());
  assert.equal(s.host, '127.0.0.1');
  assert.deepEqual(parseListen('[::1]:9476'), { host: '::1', port: 9476 });
  assert.deepEqual(parseListen('0.0.0.0:9476'), { host: '0.0.0.0', port: 9476 });
  assert.throws(() => parseListen('9476'), /expected host:port/);
  assert.throws(() => parseListen('127.0.0.1:70000'), /expected host:port/);
});
