import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import pino from 'pino';
import type { Alert } from '../../src/event/alert.js';
import { openOutputs } from '../../src/outputs/index.js';
import { isReadable, jsonBytes, packRows, rankAt } from '../../src/outputs/store/packed-rows.js';
import { AlertStore } from '../../src/outputs/store/alert-store.js';
import { StoreWriter } from '../../src/outputs/store/store-writer.js';
import { makeAlert } from './support/alerts.js';
import { startReceiver } from './support/http-receiver.js';

const logger = pino({ level: 'silent' });
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-packed-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Alerts whose text takes 1 to 4 UTF-8 bytes a character, in the JSON and the indexed columns. */
const wide = (i: number): Alert =>
  makeAlert(i, {
    output: `ouvert fichier ünïcode 日本語 🙂 #${i}`,
    rule: i % 3 ? 'Read sensitive file untrusted' : 'Règle «spéciale» 🙂',
    priority: i % 2 ? 'Critical' : 'Notice',
  });

test('packed rows: each JSON and priority read back as written, multi-byte text included', () => {
  const alerts = Array.from({ length: 9 }, (_, i) => wide(i));
  const rows = packRows(
    alerts,
    alerts.map((a) => JSON.stringify(a)),
  );
  assert.equal(rows.count, 9);
  for (let i = 0; i < 9; i++) {
    assert.equal(jsonBytes(rows, i).toString('utf8'), JSON.stringify(alerts[i]));
    assert.equal(rankAt(rows, i), i % 2 ? 2 : 5);
  }
});

test('the writer thread hands the packed buffers back, after a commit and after a failed one', async () => {
  const path = join(dir, 'writer.db');
  AlertStore.open(path).close();
  const writer = new StoreWriter(path);
  await writer.ready;
  const alerts = [wide(1), wide(2)];
  const rows = packRows(
    alerts,
    alerts.map((a) => JSON.stringify(a)),
  );
  assert.deepEqual(await writer.insert([rows]), [1, 2]);
  assert.ok(isReadable(rows));
  assert.equal(jsonBytes(rows, 1).toString('utf8'), JSON.stringify(alerts[1]));

  // The insert statement is prepared on the thread: dropping the table under it makes it fail.
  const db = new Database(path);
  db.exec('DROP TABLE alerts');
  db.close();
  await assert.rejects(writer.insert([rows]), /no such table/);
  assert.ok(isReadable(rows), 'buffers back with the error reply');
  assert.equal(jsonBytes(rows, 0).toString('utf8'), JSON.stringify(alerts[0]));
  await writer.close();
});

test('durable sinks get every alert from the packed bytes: files byte-identical to JSON.stringify (all, and Critical only), HTTP decoded, in order', async () => {
  const db = join(dir, 'sinks.db');
  const file = join(dir, 'alerts.jsonl');
  const critical = join(dir, 'critical.jsonl');
  const rx = await startReceiver(() => ({ status: 200 }));
  const out = await openOutputs(
    {
      store: { path: db },
      commit_batch: 7,
      sinks: [
        { type: 'file', path: file },
        // Keeps some alerts of each batch: they leave the batch's buffer as JSON text.
        { type: 'file', path: critical, min_priority: 'Critical' },
        { type: 'http', url: rx.url, batch: { max_size: 10, max_wait_ms: 0 } },
      ],
    },
    logger,
  );
  const alerts = Array.from({ length: 60 }, (_, i) => wide(i));
  // Some in one turn (several chunks in one commit), some one turn each.
  for (const a of alerts.slice(0, 40)) out.submit(a);
  for (const a of alerts.slice(40)) {
    out.submit(a);
    await new Promise((r) => setImmediate(r));
  }
  await rx.until((reqs) => reqs.flatMap((r) => JSON.parse(r.body) as Alert[]).length >= 60);
  await out.close();
  await rx.close();

  const expected = alerts.map((a) => JSON.stringify(a) + '\n').join('');
  assert.equal(readFileSync(file, 'utf8'), expected);
  assert.equal(
    readFileSync(critical, 'utf8'),
    alerts
      .filter((a) => a.priority === 'Critical')
      .map((a) => JSON.stringify(a) + '\n')
      .join(''),
  );
  assert.deepEqual(
    rx.requests.flatMap((r) => JSON.parse(r.body) as Alert[]),
    alerts.map((a) => JSON.parse(JSON.stringify(a)) as Alert),
  );
  const store = AlertStore.open(db, { readonly: true });
  const stored = store.query({});
  store.close();
  assert.deepEqual(
    stored.map((r) => r.json),
    alerts.map((a) => JSON.stringify(a)),
  );
  const raw = new Database(db, { readonly: true });
  const rules = raw.prepare('SELECT rule FROM alerts WHERE rule LIKE ? ORDER BY id').all('Règle%') as {
    rule: string;
  }[];
  raw.close();
  assert.equal(rules.length, 20);
  assert.equal(rules[0].rule, 'Règle «spéciale» 🙂');
});
