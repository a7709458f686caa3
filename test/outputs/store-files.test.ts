/**
 * The alert store's modes and owners: real files in a temporary directory, checked with stat. As
 * root (the agent's user) the test also hands the files to another user first and sees them taken
 * back.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { AlertStore } from '../../src/outputs/index.js';
import { openOutputs } from '../../src/outputs/index.js';
import { makeAlert } from './support/alerts.js';

const mode = (p: string): number => statSync(p).mode & 0o777;

test('a new store: directories 0700, the database and its WAL files 0600', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'vigil-store-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const db = join(root, 'var', 'lib', 'vigil', 'alerts.db');
  const out = await openOutputs({ store: { path: db }, sinks: [] }, pino({ level: 'silent' }));
  out.submit(makeAlert(1));
  await new Promise((r) => setTimeout(r, 200));
  for (const f of [db, `${db}-wal`, `${db}-shm`]) assert.equal(mode(f), 0o600, f);
  assert.equal(mode(join(root, 'var', 'lib', 'vigil')), 0o700);
  assert.equal(mode(join(root, 'var')), 0o700);
  await out.close();
  if (process.geteuid?.() === 0) assert.equal(statSync(db).uid, 0);
});

test('an existing store open to others is tightened and logged; a shared directory is reported', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'vigil-store-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const own = join(root, 'own');
  mkdirSync(own);
  const db = join(own, 'alerts.db');
  AlertStore.open(db).close();
  chmodSync(own, 0o755); // as an older vigil left them
  chmodSync(db, 0o644);
  writeFileSync(join(own, 'metrics.token'), 'x'.repeat(43), { mode: 0o600 });
  const asRoot = process.geteuid?.() === 0;
  if (asRoot) chownSync(db, 65534, 65534);
  const store = AlertStore.open(db);
  store.close();
  assert.equal(mode(db), 0o600);
  assert.equal(mode(own), 0o700, 'a directory holding only the store and its token is tightened');
  assert.ok(store.secured.tightened.some((s) => s === `${db}: mode 644 -> 600`));
  assert.ok(store.secured.tightened.some((s) => s === `${own}: mode 755 -> 700`));
  if (asRoot) {
    assert.equal(statSync(db).uid, 0);
    assert.ok(store.secured.tightened.some((s) => s.startsWith(`${db}: owner 65534:65534 -> 0:`)));
  }

  const shared = join(root, 'shared');
  mkdirSync(shared, { mode: 0o755 });
  chmodSync(shared, 0o755);
  writeFileSync(join(shared, 'someone-elses.conf'), '');
  const other = AlertStore.open(join(shared, 'alerts.db'));
  other.close();
  assert.equal(mode(shared), 0o755, 'a shared directory is left alone');
  assert.equal(mode(join(shared, 'alerts.db')), 0o600);
  assert.match(other.secured.warnings[0], /shared with other files.*directory of its own/);
});
