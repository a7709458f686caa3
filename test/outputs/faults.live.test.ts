/**
 * Faults under the store (root: a tmpfs mount): a full disk; a read-only database. The store's
 * failure is reported clearly and every sink keeps receiving alerts. A sink's outage:
 * faults.slow.test.ts.
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
import { AlertStore } from '../../src/outputs/store/alert-store.js';
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
