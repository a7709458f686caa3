/**
 * Faults: a sink refusing for 30 s then recovering; a full disk under the store; a read-only
 * database. The store's failure is reported clearly and every sink keeps receiving alerts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import type { Alert } from '../../src/event/alert.js';
import { openOutputs } from '../../src/outputs/index.js';
import { AlertStore } from '../../src/outputs/store.js';
import { requireLive } from '../support/live.js';
import { makeAlert, seqOf } from './support/alerts.js';
import { startReceiver } from './support/http-receiver.js';
import { waitFor } from './support/wait.js';

/** A pino logger whose records the test can read. */
function capturingLogger(): { logger: pino.Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) records.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), records };
}

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

function mountTmpfs(dir: string, sizeKb: number): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir]);
}

test('a full disk is reported clearly, the other sinks keep working, and the store recovers', async (t) => {
  if (!requireLive(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-full-'));
  const mnt = join(dir, 'mnt');
  mountTmpfs(mnt, 512);
  const db = join(mnt, 'alerts.db');
  const rx = await startReceiver();
  const { logger, records } = capturingLogger();
  const out = await openOutputs(
    { store: { path: db }, sinks: [{ type: 'http', url: rx.url, batch: { max_wait_ms: 0 } }] },
    logger,
  );
  try {
    assert.equal(out.health().store.state, 'ok');
    // Fill the file system.
    const fd = openSync(join(mnt, 'filler'), 'w');
    try {
      const chunk = Buffer.alloc(4096, 1);
      for (;;) writeSync(fd, chunk);
    } catch (err) {
      assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
    } finally {
      closeSync(fd);
    }
    let seq = 0;
    while (out.health().store.state === 'ok') {
      for (let i = 0; i < 50; i++) out.submit(makeAlert(seq++));
      await new Promise((r) => setTimeout(r, 5));
    }
    const h = out.health().store;
    t.diagnostic(`store: ${h.lastError}`);
    assert.equal(h.state, 'failing');
    assert.match(h.lastError!, /cannot write alert store .*alerts\.db: SQLITE_FULL/);
    assert.ok(h.unstored > 0);
    const logged = records.find(
      (r) => r.msg === 'alert store failing: alerts are still delivered to sinks but not stored',
    );
    assert.ok(logged, 'logged');
    assert.equal(logged.code, 'SQLITE_FULL');
    await rx.until(() => docs(rx).length === seq);
    assert.deepEqual(
      docs(rx).map(seqOf),
      [...Array(seq).keys()],
      'the HTTP sink got every alert, stored or not',
    );

    rmSync(join(mnt, 'filler'));
    out.submit(makeAlert(seq++));
    await waitFor(() => out.health().store.state === 'ok');
    await rx.until(() => docs(rx).length === seq);
  } finally {
    await out.close();
    await rx.close();
    execFileSync('umount', [mnt]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a read-only database is reported clearly and the other sinks keep working', async (t) => {
  if (!requireLive(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ro-'));
  const mnt = join(dir, 'mnt');
  mountTmpfs(mnt, 4096);
  const db = join(mnt, 'alerts.db');
  AlertStore.open(db).close();
  execFileSync('mount', ['-o', 'remount,ro', mnt]);
  const rx = await startReceiver();
  const { logger, records } = capturingLogger();
  const out = await openOutputs(
    {
      store: { path: db },
      sinks: [
        { type: 'http', url: rx.url, batch: { max_wait_ms: 0 } },
        { type: 'file', path: join(dir, 'alerts.jsonl') },
      ],
    },
    logger,
  );
  try {
    const h = out.health().store;
    t.diagnostic(`store: ${h.lastError}`);
    assert.equal(h.state, 'failing');
    assert.match(
      h.lastError!,
      /cannot open alert store .*alerts\.db: SQLITE_(READONLY|CANTOPEN).*read-only file system/,
    );
    assert.ok(records.some((r) => String(r.msg).startsWith('alert store failing')));
    for (let i = 0; i < 20; i++) out.submit(makeAlert(i));
    await rx.until(() => docs(rx).length === 20);
    await waitFor(() => out.health().sinks[1].delivered === 20);
    assert.equal(out.health().store.unstored, 20);
  } finally {
    await out.close();
    await rx.close();
    execFileSync('umount', [mnt]);
    rmSync(dir, { recursive: true, force: true });
  }
});
