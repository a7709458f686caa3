/** The ops endpoint, scraped over real HTTP on 127.0.0.1 (port 0: the kernel picks a free one). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentMetrics, startOpsServer, parseListen, type OpsServer } from '../../src/ops/index.js';

async function serve(
  metrics: AgentMetrics,
  extra: { token?: string; problems?: string[] } = {},
): Promise<OpsServer> {
  return startOpsServer({
    listen: '127.0.0.1:0',
    token: extra.token,
    metrics,
    health: () => (extra.problems ? { ok: false, problems: extra.problems } : { ok: true }),
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

test('healthz and readyz: not ready until probes are attached; unhealthy reports its problems', async (t) => {
  const metrics = new AgentMetrics({ processMetrics: false });
  const s = await serve(metrics);
  t.after(() => s.close());
  const health = await fetch(url(s, '/healthz'));
  assert.equal(health.status, 200);
  assert.equal(await health.text(), 'ok\n');
  const before = await fetch(url(s, '/readyz'));
  assert.equal(before.status, 503);
  assert.match(await before.text(), /not ready/);
  metrics.setReady(true);
  const after = await fetch(url(s, '/readyz'));
  assert.equal(after.status, 200);
  assert.equal(await after.text(), 'ready\n');
  assert.equal((await fetch(url(s, '/nope'))).status, 404);
  assert.equal((await fetch(url(s, '/metrics'), { method: 'POST' })).status, 405);

  const sick = await serve(metrics, { problems: ['sensor stalled'] });
  t.after(() => sick.close());
  const res = await fetch(url(sick, '/healthz'));
  assert.equal(res.status, 503);
  assert.equal(await res.text(), 'sensor stalled\n');
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
  assert.equal((await fetch(url(s, '/healthz'))).status, 200);
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
