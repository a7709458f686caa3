/**
 * The alert store deleted, moved or replaced under a running pipeline (a real SQLite file): the
 * pipeline notices within a second or two, says what happened, shows `tampered` in health, opens
 * a fresh store at the path, and alerts submitted afterwards are committed there and still reach
 * a durable sink. The Agent turns the notice into the `Alert store tampered` alert; here the
 * test does the same with the agent's own builder.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pino from 'pino';
import { agentAlert, STORE_TAMPER_RULE, storeTamperSpec } from '../../src/agent/agent-alert.js';
import type { Alert } from '../../src/event/alert.js';
import { openOutputs, type Outputs, type StoreTamper } from '../../src/outputs/index.js';
import { AlertStore } from '../../src/outputs/store/alert-store.js';
import { makeAlert, seqOf } from './support/alerts.js';
import { startReceiver } from './support/http-receiver.js';
import { waitFor } from './support/wait.js';

const logger = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'vigil-store-tamper-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(name: string, tamper: (db: string) => void): Promise<void> {
  const db = join(dir, `${name}.db`);
  const rx = await startReceiver();
  const notices: StoreTamper[] = [];
  const out: Outputs = await openOutputs(
    { store: { path: db }, sinks: [{ type: 'http', url: rx.url, batch: { max_wait_ms: 0 } }] },
    logger,
    {
      onStoreTampered: (t) => {
        notices.push(t);
        const proc = makeAlert(0).event.proc;
        out.submit(agentAlert(storeTamperSpec(t), proc, { user: 'root', group: 'root' }, 'h'));
      },
    },
  );
  const delivered = (): Alert[] => rx.requests.flatMap((r) => JSON.parse(r.body) as Alert[]);
  try {
    for (let i = 0; i < 5; i++) out.submit(makeAlert(i));
    await waitFor(() => out.health().store.committed === 5 && delivered().length === 5);
    assert.equal(out.health().store.state, 'ok');

    tamper(db);
    await waitFor(() => notices.length === 1);
    const h = out.health();
    assert.equal(h.store.state, 'tampered');
    assert.match(h.store.tampered ?? '', new RegExp(`^${notices[0].what}`));
    assert.equal(notices[0].lastId, 5);
    if (notices[0].what === 'moved') assert.equal(notices[0].movedTo, join(dir, 'elsewhere.db'));
    // A fresh file at the path (its inode number may be the freed one's): its rows show it.
    assert.ok(statSync(db).isFile());

    for (let i = 5; i < 8; i++) out.submit(makeAlert(i));
    await waitFor(() => delivered().length === 9);
    const fresh = AlertStore.open(db, { readonly: true });
    try {
      const rows = fresh.query({});
      const rules = rows.map((r) => (JSON.parse(r.json) as Alert).rule);
      assert.ok(rules.includes(STORE_TAMPER_RULE), 'the tamper alert is in the fresh store');
      const seqs = rows
        .map((r) => JSON.parse(r.json) as Alert)
        .filter((a) => a.rule !== STORE_TAMPER_RULE)
        .map(seqOf)
        .sort();
      assert.deepEqual(seqs, [5, 6, 7], 'alerts submitted afterwards are committed there');
    } finally {
      fresh.close();
    }
    const sent = delivered();
    const alert = sent.find((a) => a.rule === STORE_TAMPER_RULE)!;
    assert.equal(alert.priority, 'Critical');
    assert.equal(alert.output_fields['vigil.store_path'], db);
    assert.equal(alert.output_fields['vigil.store_change'], notices[0].what);
    assert.equal(alert.output_fields['vigil.store_last_id'], 5);
    assert.deepEqual(
      sent.filter((a) => a.rule !== STORE_TAMPER_RULE).map(seqOf),
      [0, 1, 2, 3, 4, 5, 6, 7],
      'the durable sink goes on delivering from the fresh store',
    );
    // Health stays red: a store tampered with is a fact until the agent restarts.
    assert.equal(out.health().store.state, 'tampered');
  } finally {
    await out.close();
    await rx.close();
  }
  return;
}

test('the store deleted: an alert, health tampered, a fresh store, delivery goes on', async () => {
  await run('deleted', (db) => unlinkSync(db));
});

test('the store moved away: said as moved, with where it went', async () => {
  const moved = join(dir, 'elsewhere.db');
  await run('moved', (db) => renameSync(db, moved));
});

test('the store replaced by another file: said as replaced, that file set aside unwritten', async () => {
  let size = 0;
  await run('replaced', (db) => {
    copyFileSync(db, `${db}.copy`);
    size = statSync(`${db}.copy`).size;
    renameSync(`${db}.copy`, db);
  });
  const aside = readdirSync(dir).filter((f) => f.startsWith('replaced.db.replaced-'));
  assert.equal(aside.length, 1, 'the file found at the path is kept for inspection');
  assert.equal(statSync(join(dir, aside[0])).size, size, 'and not written to');
});

test('a store left alone raises nothing', async () => {
  const db = join(dir, 'quiet.db');
  const notices: StoreTamper[] = [];
  const out = await openOutputs({ store: { path: db }, sinks: [] }, logger, {
    onStoreTampered: (t) => notices.push(t),
  });
  try {
    for (let i = 0; i < 3; i++) out.submit(makeAlert(i));
    await waitFor(() => out.health().store.committed === 3);
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(notices.length, 0);
    assert.equal(out.health().store.state, 'ok');
  } finally {
    await out.close();
  }
});
