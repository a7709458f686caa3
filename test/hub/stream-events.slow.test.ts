/**
 * The playground's reader of published events against Debian's nats-server: the newest events of
 * the window, oldest first, across alerts sharing the stream, widening its span as needed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { eventToJson } from '../../src/event/json.js';
import { streamEvents } from '../../src/hub/stream-events.js';
import { makeEvent } from '../support/events.js';
import { natsServerMissing, startNats } from '../support/nats-server.js';

let dir: string;
const missing = natsServerMissing();
before(() => {
  dir = mkdtempSync(join(tmpdir(), `vigil-stream-events-${process.pid}-`));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the newest events of the window, oldest first, alerts skipped', async (t) => {
  if (missing) return t.skip('nats-server not installed');
  const nats = await startNats(join(dir, 'n'));
  const nc = await connect({ servers: nats.url });
  try {
    await (await jetstreamManager(nc)).streams.add({ name: 'VIGIL', subjects: ['vigil.>'] });
    const js = jetstream(nc);
    // 3000 messages of two events each, an alert between every two.
    const acks = [];
    for (let i = 0; i < 3000; i++) {
      const lines = [2 * i, 2 * i + 1].map((ts) => eventToJson(makeEvent({ ts }))).join('\n');
      acks.push(js.publish(`vigil.events.${i % 2 === 0 ? 'a' : 'b'}`, lines));
      if (i % 2 === 0) acks.push(js.publish('vigil.alerts.a', '{}'));
    }
    await Promise.all(acks);
    const few = await streamEvents(nc, 'VIGIL', 3_600_000, 100);
    assert.deepEqual(
      few.map((e) => e.event.ts),
      Array.from({ length: 100 }, (_, i) => 5900 + i),
    );
    // More than the first span holds: the reader widens it.
    const many = await streamEvents(nc, 'VIGIL', 3_600_000, 5000);
    assert.equal(many.length, 5000);
    assert.equal(many[0].event.ts, 1000);
    assert.equal(many.at(-1)!.event.ts, 5999);
    assert.deepEqual(new Set(many.map((e) => e.host)), new Set(['a', 'b']));
    // A window that ended before them: none.
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal((await streamEvents(nc, 'VIGIL', 1000, 100)).length, 0);
  } finally {
    await nc.close();
    await nats.stop();
  }
});
