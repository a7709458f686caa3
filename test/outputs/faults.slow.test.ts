/**
 * Faults: a sink refusing for 30 s then recovering gets every alert once, in order, while the
 * other sinks are not held up. Faults under the store (root): faults.live.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import type { Alert } from '../../src/event/alert.js';
import { openOutputs } from '../../src/outputs/index.js';
import { makeAlert, seqOf } from './support/alerts.js';
import { startReceiver } from './support/http-receiver.js';
import { waitFor } from './support/wait.js';

const docs = (rx: { requests: { body: string }[] }): Alert[] =>
  rx.requests.flatMap((r) => JSON.parse(r.body) as Alert[]);

test('a sink refusing for 30 s then recovering gets every alert, in order, once; the others are not held up', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-outage-'));
  const outageEnds = Date.now() + 30_000;
  let refused = 0;
  const flaky = await startReceiver(() =>
    Date.now() < outageEnds ? (refused++, { status: 503 }) : { status: 200 },
  );
  const healthy = await startReceiver();
  const out = await openOutputs(
    {
      store: { path: join(dir, 'alerts.db') },
      sinks: [
        // A small queue: most of the outage's alerts are re-read from the store (the outbox path).
        {
          type: 'http',
          name: 'flaky',
          url: flaky.url,
          queue_size: 50,
          batch: { max_size: 40, max_wait_ms: 0 },
          retry: { max_ms: 4000 },
        },
        { type: 'http', name: 'healthy', url: healthy.url, batch: { max_wait_ms: 0 } },
      ],
    },
    pino({ level: 'silent' }),
  );
  try {
    let seq = 0;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 100; i++) out.submit(makeAlert(seq++));
      await healthy.until(() => docs(healthy).length === seq);
      assert.equal(docs(flaky).length, 0);
      if (round < 2) await new Promise((r) => setTimeout(r, 8000));
    }
    const during = out.health().sinks.find((s) => s.name === 'flaky')!;
    assert.equal(during.state, 'failing');
    assert.match(during.lastError ?? '', /HTTP 503/);
    assert.ok(during.outboxLag >= 300);
    await flaky.until(() => docs(flaky).length >= 300);
    await waitFor(() => out.health().sinks[0].outboxLag === 0);
    const after = out.health().sinks[0];
    assert.equal(after.state, 'ok');
    assert.ok(refused > 0);
    assert.deepEqual(docs(flaky).map(seqOf), [...Array(300).keys()]);
    assert.deepEqual(docs(healthy).map(seqOf), [...Array(300).keys()]);
  } finally {
    await out.close();
    await flaky.close();
    await healthy.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
