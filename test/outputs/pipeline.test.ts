import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import pino from 'pino';
import { parseConfig } from '../../src/config/index.js';
import { openOutputs } from '../../src/outputs/index.js';
import { AlertStore } from '../../src/outputs/store/alert-store.js';
import { STORE_THREAD_NICE } from '../../src/outputs/store/thread-priority.js';
import type { Alert } from '../../src/event/alert.js';
import { makeAlert, seqOf } from './support/alerts.js';
import { startReceiver } from './support/http-receiver.js';
import { waitFor } from './support/wait.js';

const logger = pino({ level: 'silent' });
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-outputs-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('alerts are committed to SQLite before a sink sees them, then delivered in order', async () => {
  const db = join(dir, 'order.db');
  let reader: AlertStore | undefined;
  const notYetStored: string[] = [];
  const rx = await startReceiver((req) => {
    reader ??= AlertStore.open(db, { readonly: true });
    for (const a of JSON.parse(req.body) as Alert[]) {
      if (!reader.query({}).some((r) => (JSON.parse(r.json) as Alert).uuid === a.uuid))
        notYetStored.push(a.uuid);
    }
    return { status: 200 };
  });
  const out = await openOutputs(
    { store: { path: db }, sinks: [{ type: 'http', url: rx.url, batch: { max_size: 7, max_wait_ms: 0 } }] },
    logger,
  );
  for (let i = 0; i < 25; i++) out.submit(makeAlert(i, { priority: i % 2 ? 'Critical' : 'Notice' }));
  await rx.until((reqs) => reqs.flatMap((r) => JSON.parse(r.body)).length >= 25);
  await out.close();
  reader?.close();
  await rx.close();
  const got = rx.requests.flatMap((r) => JSON.parse(r.body) as Alert[]).map(seqOf);
  assert.deepEqual(got, [...Array(25).keys()]);
  assert.deepEqual(notYetStored, []);
  assert.ok(rx.requests.every((r) => String(r.headers['idempotency-key']).startsWith('http:')));

  const store = AlertStore.open(db, { readonly: true });
  assert.equal(store.count(), 25);
  assert.equal(store.query({ maxRank: 2 }).length, 12, 'Critical or more severe');
  assert.equal(
    store.query({ containerId: '3ad7b26ded6d', rule: 'Read sensitive file untrusted' }).length,
    25,
  );
  assert.equal(store.query({ containerId: 'nope' }).length, 0);
  store.close();
});

test('a sink without an outbox does not wait for the commit; a durable sink does', async () => {
  const db = join(dir, 'atonce.db');
  const rx = await startReceiver();
  const out = await openOutputs(
    {
      store: { path: db },
      sinks: [
        { type: 'file', path: join(dir, 'atonce.jsonl'), durable: false },
        { type: 'http', url: rx.url, batch: { max_wait_ms: 0 } },
      ],
    },
    logger,
  );
  // Another connection holds the write lock: the writer thread's commit waits on it (busy_timeout).
  const blocker = new Database(db);
  blocker.exec('BEGIN IMMEDIATE');
  try {
    for (let i = 0; i < 3; i++) out.submit(makeAlert(i));
    await waitFor(() => out.health().sinks[0].delivered === 3);
    assert.equal(out.health().store.committed, 0, 'not committed yet');
    assert.equal(rx.requests.length, 0, 'the durable sink waits for the commit');
    assert.deepEqual(
      readFileSync(join(dir, 'atonce.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => seqOf(JSON.parse(l) as Alert)),
      [0, 1, 2],
    );
    blocker.exec('COMMIT');
    await rx.until((reqs) => reqs.flatMap((r) => JSON.parse(r.body)).length === 3);
    assert.equal(out.health().store.committed, 3);
  } finally {
    if (blocker.inTransaction) blocker.exec('ROLLBACK');
    blocker.close();
    await out.close();
    await rx.close();
  }
});

test('min_priority, rate limit and dedup: a noisy rule becomes "N more alerts" summaries', async () => {
  const rx = await startReceiver();
  const out = await openOutputs(
    {
      store: { enabled: false },
      sinks: [
        {
          type: 'http',
          url: rx.url,
          min_priority: 'Warning',
          rate_limit: { max: 3, window_ms: 300 },
          batch: { max_size: 100, max_wait_ms: 0 },
        },
      ],
    },
    logger,
  );
  for (let i = 0; i < 20; i++) out.submit(makeAlert(i, { priority: 'Error' }));
  for (let i = 20; i < 30; i++) out.submit(makeAlert(i, { priority: 'Informational', rule: 'Quiet rule' }));
  await rx.until((reqs) => reqs.some((r) => r.body.includes('vigil_summary')));
  await out.close();
  await rx.close();
  const docs = rx.requests.flatMap((r) => JSON.parse(r.body) as Record<string, unknown>[]);
  const alerts = docs.filter((d) => !d.vigil_summary) as unknown as Alert[];
  assert.deepEqual(alerts.map(seqOf), [0, 1, 2], 'three per window, nothing below Warning');
  const summary = docs.find((d) => d.vigil_summary)!.vigil_summary as { count: number; rule: string };
  assert.equal(summary.count, 17);
  assert.equal(summary.rule, 'Read sensitive file untrusted');
  const h = out.health().sinks[0];
  assert.equal(h.suppressed, 17);
});

test('dedup window holds back identical alerts', async () => {
  const rx = await startReceiver();
  const out = await openOutputs(
    { store: { enabled: false }, sinks: [{ type: 'http', url: rx.url, dedup_window_ms: 60_000 }] },
    logger,
  );
  for (let i = 0; i < 5; i++) out.submit(makeAlert(i, { output: 'same output' }));
  out.submit(makeAlert(5, { output: 'different output' }));
  await rx.until((reqs) => reqs.flatMap((r) => JSON.parse(r.body)).length >= 2);
  await out.close(); // flushes the open window's summary
  await rx.close();
  const docs = rx.requests.flatMap((r) => JSON.parse(r.body) as Record<string, unknown>[]);
  assert.deepEqual(
    docs.filter((d) => d.uuid).map((d) => seqOf(d as unknown as Alert)),
    [0, 5],
  );
  assert.equal((docs.find((d) => d.vigil_summary)?.vigil_summary as { count: number }).count, 4);
});

test('a durable sink resumes after restart with what it had not delivered, once', async () => {
  const db = join(dir, 'resume.db');
  const down = await openOutputs(
    {
      store: { path: db },
      close_timeout_ms: 300,
      sinks: [
        {
          type: 'http',
          name: 'siem',
          url: 'http://127.0.0.1:9/',
          batch: { max_wait_ms: 0 },
          retry: { initial_ms: 50, max_ms: 100 },
        },
      ],
    },
    logger,
  );
  for (let i = 0; i < 10; i++) down.submit(makeAlert(i));
  await waitFor(() => down.health().sinks[0].consecutiveFailures > 0);
  const h = down.health().sinks[0];
  assert.notEqual(h.state, 'ok');
  assert.match(h.lastError ?? '', /ECONNREFUSED/);
  await down.close();

  const rx = await startReceiver();
  const up = await openOutputs(
    { store: { path: db }, sinks: [{ type: 'http', name: 'siem', url: rx.url, batch: { max_size: 4 } }] },
    logger,
  );
  for (let i = 10; i < 15; i++) up.submit(makeAlert(i));
  await rx.until((reqs) => reqs.flatMap((r) => JSON.parse(r.body)).length >= 15);
  await up.close();
  await rx.close();
  const got = rx.requests.flatMap((r) => JSON.parse(r.body) as Alert[]).map(seqOf);
  assert.deepEqual(got, [...Array(15).keys()]);
});

test('file sink writes JSON lines and rotates by size', async () => {
  const path = join(dir, 'logs', 'alerts.jsonl');
  const out = await openOutputs(
    { store: { enabled: false }, sinks: [{ type: 'file', path, max_bytes: 20_000, keep: 2 }] },
    logger,
  );
  for (let i = 0; i < 40; i++) {
    out.submit(makeAlert(i));
    await new Promise((r) => setImmediate(r));
  }
  await out.close();
  const files = readdirSync(join(dir, 'logs')).sort();
  assert.deepEqual(files, ['alerts.jsonl', 'alerts.jsonl.1', 'alerts.jsonl.2']);
  const lines = (f: string): number[] =>
    readFileSync(join(dir, 'logs', f), 'utf8')
      .trim()
      .split('\n')
      .map((l) => seqOf(JSON.parse(l)));
  const all = [...lines('alerts.jsonl.2'), ...lines('alerts.jsonl.1'), ...lines('alerts.jsonl')];
  assert.ok(all.length < 40, 'oldest rotated out beyond keep');
  assert.deepEqual(all, [...Array(40).keys()].slice(40 - all.length));
  for (const f of files) assert.ok(readFileSync(join(dir, 'logs', f)).length <= 20_000);
});

test('secrets never appear in health or errors', async () => {
  const { outputs } = parseConfig(
    [
      'outputs:',
      '  store: { enabled: false }',
      '  close_timeout_ms: 200',
      '  sinks:',
      '    - type: http',
      '      format: splunk-hec',
      '      url: http://user:${ENV:VG_HEC_PASS}@127.0.0.1:9/services/collector/event?token=abc123def456',
      '      token: ${ENV:VG_HEC_TOKEN}',
      '      batch: { max_wait_ms: 0 }',
      '      retry: { initial_ms: 20, max_ms: 50 }',
    ].join('\n'),
    'vigil.yaml',
    { VG_HEC_PASS: 'hunter2secret', VG_HEC_TOKEN: 'tok-9f8e7d6c5b4a' },
  );
  const out = await openOutputs(outputs, logger);
  out.submit(makeAlert(1));
  await waitFor(() => out.health().sinks[0].consecutiveFailures > 0);
  const text = JSON.stringify(out.health());
  await out.close();
  assert.match(text, /ECONNREFUSED/);
  for (const secret of ['hunter2secret', 'abc123def456', 'tok-9f8e7d6c5b4a'])
    assert.ok(!text.includes(secret), secret);
  // A config mistake in a secret names the key, never the value.
  const notUrl = 'hooks.slack.com/services/T0001/B0002/abcdefgh12345678';
  await assert.rejects(
    openOutputs({ store: { enabled: false }, sinks: [{ type: 'slack', webhook_url: notUrl }] }, logger),
    (err: Error) =>
      err.name === 'OutputConfigError' &&
      err.message === 'outputs.sinks[0].webhook_url: expected a URL (http:// or https://)',
  );
});

test('an alert that cannot be serialised is dropped and logged; the others go on', async () => {
  const rx = await startReceiver();
  const records: string[] = [];
  const log = pino({ level: 'error' }, { write: (l: string) => void records.push(l) });
  const out = await openOutputs(
    { store: { path: join(dir, 'bad.db') }, sinks: [{ type: 'http', url: rx.url }] },
    log,
  );
  const bad = makeAlert(1) as Alert & { loop?: unknown };
  bad.loop = bad;
  out.submit(makeAlert(0));
  out.submit(bad);
  out.submit(makeAlert(2));
  await rx.until((reqs) => reqs.flatMap((r) => JSON.parse(r.body)).length >= 2);
  await out.close();
  await rx.close();
  assert.deepEqual(rx.requests.flatMap((r) => JSON.parse(r.body) as Alert[]).map(seqOf), [0, 2]);
  assert.equal(out.health().store.committed, 2);
  assert.ok(records.some((l) => l.includes('alert dropped: not serialisable')));
});

test('the WAL is checkpointed by the worker thread, not inside commits', { timeout: 60_000 }, async () => {
  const db = join(dir, 'checkpoint.db');
  const out = await openOutputs({ store: { path: db }, sinks: [] }, logger);
  for (let i = 0; i < 4000; i++) out.submit(makeAlert(i, { output: 'y'.repeat(1000) }));
  await new Promise((r) => setImmediate(r));
  // 4000 alerts of ~2.4 KB are far below the commits' own threshold (4096 pages of 16 KiB), so
  // only the worker can have copied them into the database file.
  await waitFor(() => statSync(db).size > 6 * 1024 * 1024);
  await out.close();
  const store = AlertStore.open(db, { readonly: true });
  assert.equal(store.count(), 4000);
  store.close();
});

test("the store's writer and checkpoint threads run below the event loop's priority", async () => {
  const out = await openOutputs({ store: { path: join(dir, 'nice.db') }, sinks: [] }, logger);
  try {
    const niceOf = (task: string): number =>
      Number(readFileSync(`/proc/self/task/${task}/stat`, 'utf8').split(') ')[1].split(' ')[16]);
    let lowered: string[] = [];
    await waitFor(() => {
      lowered = readdirSync('/proc/self/task').filter((t) => niceOf(t) === STORE_THREAD_NICE);
      return lowered.length >= 2;
    });
    assert.ok(!lowered.includes(String(process.pid)), 'the event loop keeps its priority');
  } finally {
    await out.close();
  }
});
