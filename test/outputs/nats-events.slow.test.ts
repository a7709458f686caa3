/**
 * Events publishing against Debian's nats-server started by the test: the events reach
 * `vigil.events.<hostname>` as the JSON lines `vigil record` writes (read back by the hub's
 * playground reader), filtered by type and sampled; a full queue and a server down drop events,
 * counted, and `offer` never waits.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import pino from 'pino';
import { eventToJson } from '../../src/event/json.js';
import type { VigilEvent } from '../../src/event/types.js';
import { streamEvents } from '../../src/hub/stream-events.js';
import { openEventPublishers, type OutputsConfig } from '../../src/outputs/index.js';
import { eventMessages } from '../../src/outputs/sinks/nats-events.js';
import { makeEvent } from '../support/events.js';
import { natsServerMissing, startNats } from '../support/nats-server.js';
import { streamMessages } from './support/nats-stream.js';
import { waitFor } from './support/wait.js';

let dir: string;
const missing = natsServerMissing();
before(() => {
  dir = mkdtempSync(join(tmpdir(), `vigil-nats-events-${process.pid}-`));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const quiet = pino({ level: 'silent' });

function outputs(servers: string[], events: object): OutputsConfig {
  return { sinks: [{ type: 'nats', servers, timeout_ms: 2000, events: { enabled: true, ...events } }] };
}

function openEvents(n: number, type: VigilEvent['type'] = 'openat'): VigilEvent[] {
  return Array.from({ length: n }, (_, i) => makeEvent({ type, ts: 1_000 + i }));
}

test('no publisher unless a nats sink enables events', () => {
  const cfg: OutputsConfig = { sinks: [{ type: 'nats', servers: ['nats://127.0.0.1:1'] }] };
  assert.deepEqual(openEventPublishers(cfg, 'h', quiet), []);
});

test('a batch becomes JSON lines messages, each under the size NATS accepts', () => {
  const evs = openEvents(3000);
  const msgs = eventMessages(evs, 'vigil.events.h', 'id');
  const lines = msgs.flatMap((m) => new TextDecoder().decode(m.data).trimEnd().split('\n'));
  assert.deepEqual(lines, evs.map(eventToJson));
  for (const m of msgs) assert.ok(m.data.length <= 512 * 1024);
  assert.equal(new Set(msgs.map((m) => m.msgId)).size, msgs.length);
});

test('events reach vigil.events.<host> as record lines, filtered and sampled', async (t) => {
  if (missing) return t.skip('nats-server not installed');
  const nats = await startNats(join(dir, 'one'));
  try {
    const [pub] = openEventPublishers(
      outputs([nats.url], { types: ['openat'], sample: 2 }),
      'web-1.prod',
      quiet,
    );
    const evs = [...openEvents(10), ...openEvents(5, 'execve')];
    pub.offer(evs);
    await waitFor(() => pub.published >= 5);
    await pub.close();
    const msgs = await streamMessages({ servers: nats.url });
    assert.ok(msgs.every((m) => m.subject === 'vigil.events.web-1_prod'));
    const lines = msgs.flatMap((m) => m.data.trimEnd().split('\n'));
    const sampled = evs.filter((e) => e.type === 'openat').filter((_, i) => i % 2 === 0);
    assert.deepEqual(lines, sampled.map(eventToJson));
    // The hub's playground reads them back as events, with their host.
    const nc = await connect({ servers: nats.url });
    const back = await streamEvents(nc, 'VIGIL', 3_600_000, 50_000);
    await nc.close();
    assert.equal(back.length, 5);
    assert.ok(back.every((b) => b.host === 'web-1_prod' && b.event.type === 'openat'));
    assert.deepEqual(pub.stats(), { sink: 'nats', published: 5, dropped: 0 });
  } finally {
    await nats.stop();
  }
});

test('a full queue and a server down drop events, counted; offer never waits', async (t) => {
  if (missing) return t.skip('nats-server not installed');
  const nats = await startNats(join(dir, 'down'));
  const url = nats.url;
  await nats.stop();
  const [pub] = openEventPublishers(outputs([url], { queue_size: 100 }), 'h', quiet);
  try {
    const batches = Array.from({ length: 50 }, () => openEvents(100));
    const t0 = process.hrtime.bigint();
    for (const b of batches) pub.offer(b);
    const offerMs = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`offer of 5000 events with the server down: ${offerMs.toFixed(1)} ms`);
    // The queue holds 100; the rest is dropped at once, and the 100 when their publish fails.
    await waitFor(() => pub.dropped === 5000);
    assert.equal(pub.published, 0);
    await nats.start();
    await waitFor(async () => {
      pub.offer(openEvents(1));
      await new Promise((r) => setTimeout(r, 200));
      return pub.published > 0;
    });
  } finally {
    await pub.close();
    await nats.stop();
  }
});
