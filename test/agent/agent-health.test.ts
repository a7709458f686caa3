/**
 * The agent's health checks over the real outputs pipeline: a real HTTP receiver refusing every
 * request makes its sink fail readiness while liveness stays ok; the ring watch tells a stalled
 * reader from an idle host.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { agentHealth, RingWatch } from '../../src/agent/agent-health.js';
import { openOutputs } from '../../src/outputs/index.js';
import type { SensorStats } from '../../src/sensor/sensor.js';
import { makeAlert } from '../outputs/support/alerts.js';
import { startReceiver } from '../outputs/support/http-receiver.js';

const logger = pino({ level: 'silent' });

function sensorStats(over: Partial<SensorStats> = {}): SensorStats {
  return {
    kernelEvents: 10,
    dropped: 0,
    truncated: 0,
    scratchFail: 0,
    records: 10,
    malformed: 0,
    decodeNs: 0,
    ring: { records: 10, batches: 1, bytes: 100, stalls: 0, running: true, error: null },
    processes: 1,
    ...over,
  };
}

test('a sink refusing every delivery fails readiness and leaves liveness ok', async (t) => {
  let up = false;
  let refused = 0;
  const rx = await startReceiver(() => (up ? { status: 200 } : (refused++, { status: 503, body: 'down' })));
  t.after(() => rx.close());
  const out = await openOutputs(
    {
      store: { enabled: false },
      sinks: [
        {
          type: 'http',
          name: 'siem',
          url: `${rx.url}/hook/s3cr3t-path-token?key=abc`,
          batch: { max_wait_ms: 10 },
          retry: { initial_ms: 20, max_ms: 40 },
        },
      ],
    },
    logger,
  );
  t.after(() => out.close());
  const health = agentHealth({ sensor: () => sensorStats(), outputs: out, startedAt: Date.now() });
  assert.deepEqual(health.liveness(), [
    { name: 'probes', ok: true },
    { name: 'ring', ok: true },
  ]);
  out.submit(makeAlert(1));
  while (refused < 4) await new Promise((r) => setTimeout(r, 10));
  assert.ok(
    health.liveness().every((c) => c.ok),
    'liveness ignores sinks',
  );
  const sink = health.readiness().find((c) => c.name === 'sink:siem');
  assert.equal(sink?.ok, false);
  assert.match(sink?.reason ?? '', /HTTP 503/);
  assert.doesNotMatch(sink?.reason ?? '', /s3cr3t|key=abc/, 'the URL path and query are redacted');
  const status = health.status() as { live: boolean; ready: boolean; sinks: { state: string }[] };
  assert.equal(status.live, true);
  assert.equal(status.ready, false);
  assert.equal(status.sinks[0].state, 'failing');

  up = true;
  await rx.until((r) => r.length >= 1);
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(
    health.readiness().every((c) => c.ok),
    'ready again once the sink delivers',
  );
});

test('probes not attached or a stopped ring reader fail liveness', async (t) => {
  const out = await openOutputs({ store: { enabled: false }, sinks: [] }, logger);
  t.after(() => out.close());
  const cur: { stats?: SensorStats } = {};
  const health = agentHealth({ sensor: () => cur.stats, outputs: out, startedAt: Date.now() });
  assert.deepEqual(
    health.liveness().map((c) => [c.name, c.ok]),
    [['probes', false]],
  );
  cur.stats = sensorStats({
    ring: { records: 0, batches: 0, bytes: 0, stalls: 0, running: false, error: 'ENOMEM' },
  });
  const ring = health.liveness().find((c) => c.name === 'ring');
  assert.equal(ring?.ok, false);
  assert.match(ring?.reason ?? '', /ENOMEM/);
});

test('ring watch: records written and none read for the stall time is a stall; idle is not', () => {
  const w = new RingWatch(30_000);
  const t0 = 1_000_000;
  assert.equal(w.observe({ kernelEvents: 100, records: 100 }, t0), 0);
  assert.equal(w.observe({ kernelEvents: 100, records: 100 }, t0 + 60_000), 0, 'idle host');
  assert.equal(w.observe({ kernelEvents: 150, records: 150 }, t0 + 61_000), 0, 'read');
  assert.equal(w.observe({ kernelEvents: 180, records: 150 }, t0 + 70_000), 0, 'not yet');
  assert.equal(w.observe({ kernelEvents: 200, records: 150 }, t0 + 91_000), 30_000, 'stalled');
  assert.equal(w.observe({ kernelEvents: 200, records: 200 }, t0 + 92_000), 0, 'read again');
});
