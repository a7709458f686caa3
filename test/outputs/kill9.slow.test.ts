/**
 * SIGKILL in the middle of a burst of 10,000 alerts, then a restart: every alert the pipeline had
 * reported committed is in SQLite, and the acknowledging sink has every stored alert exactly once,
 * in order. The sink honours Idempotency-Key (as a receiver wanting exactly-once must: a batch
 * whose acknowledgement was lost in the kill is resent under the same key); the test also reports
 * how many such resends there were.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import type { Alert } from '../../src/event/alert.js';
import { AlertStore } from '../../src/outputs/store/alert-store.js';
import { seqOf } from './support/alerts.js';
import { startReceiver } from './support/http-receiver.js';

// Runs from test/ under tsx and from dist/test/ compiled (make test).
const COMPILED = import.meta.url.endsWith('.js');
const CHILD = new URL(`./support/burst-child.${COMPILED ? 'js' : 'ts'}`, import.meta.url).pathname;
const LOADER = COMPILED ? [] : ['--import', 'tsx'];

function runChild(
  args: string[],
  onLine: (line: string) => void,
): { kill: () => void; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [...LOADER, CHILD, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  createInterface({ input: child.stdout! }).on('line', onLine);
  return {
    kill: () => child.kill('SIGKILL'),
    exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
}

test('kill -9 mid-burst of 10,000: nothing committed is lost, nothing acknowledged is sent twice', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-kill9-'));
  const db = join(dir, 'alerts.db');
  const rx = await startReceiver(undefined, { idempotent: true });
  const received = (): Alert[] => rx.requests.flatMap((r) => JSON.parse(r.body) as Alert[]);
  try {
    let reported = 0;
    let submittedAll = false;
    const burst = runChild(['burst', db, rx.url, '10000'], (line) => {
      const m = /^committed (\d+)$/.exec(line);
      if (m) reported = Number(m[1]);
      if (line === 'submitted') submittedAll = true;
    });
    await rx.until(() => received().length >= 2000);
    burst.kill();
    await burst.exit;
    const atKill = received().length;
    t.diagnostic(
      `killed with ${reported} reported committed, ${atKill} delivered, all submitted: ${submittedAll}`,
    );

    const store = AlertStore.open(db, { readonly: true });
    const stored = store.query({}).map((r) => seqOf(JSON.parse(r.json) as Alert));
    store.close();
    assert.ok(stored.length >= reported, `stored ${stored.length} >= reported ${reported}`);
    assert.deepEqual(
      stored,
      [...Array(stored.length).keys()],
      'a prefix of the burst, no gaps, no duplicates',
    );

    let done = false;
    const resume = runChild(['resume', db, rx.url], (line) => (done ||= line === 'done'));
    assert.equal(await resume.exit, 0);
    assert.ok(done);

    const got = received().map(seqOf);
    t.diagnostic(
      `stored ${stored.length}; delivered ${got.length}; batches resent after the kill: ${rx.replays}`,
    );
    assert.deepEqual(got, stored, 'every stored alert delivered once, in order');
  } finally {
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
