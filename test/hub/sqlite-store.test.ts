import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SqliteHubStore } from '../../src/hub/sqlite-store.js';
import { storeContract } from './support/store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-hub-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the SQLite hub store: idempotent by uuid, keyset pages, filters as parameters, stats, retention', async () => {
  const store = new SqliteHubStore(join(dir, 'hub.db'));
  await storeContract(store);
  await store.close();
});

test('the SQLite hub store keeps its alerts across opens', async () => {
  const path = join(dir, 'reopen.db');
  const a = new SqliteHubStore(path);
  const { contractRows } = await import('./support/store-contract.js');
  await a.insert(contractRows().slice(0, 5));
  await a.close();
  const b = new SqliteHubStore(path);
  assert.equal(await b.count(), 5);
  await b.close();
});
