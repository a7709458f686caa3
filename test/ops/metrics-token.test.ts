/** The generated metrics token: real files in a temporary directory, modes checked with stat. */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { metricsToken } from '../../src/ops/index.js';

test('metrics token: generated 0600 in a 0700 directory, reused later, configured one wins', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'vigil-token-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'lib', 'vigil');
  const first = metricsToken('', dir);
  assert.equal(first.source, 'generated');
  assert.equal(first.file, join(dir, 'metrics.token'));
  assert.match(first.token, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
  assert.equal(statSync(first.file!).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(readFileSync(first.file!, 'utf8'), first.token + '\n');

  const again = metricsToken(undefined, dir);
  assert.deepEqual(again, { token: first.token, file: first.file, source: 'read' });
  assert.notEqual(metricsToken('', join(root, 'other')).token, first.token, 'random per host');
  assert.deepEqual(metricsToken('from-config', dir), { token: 'from-config', source: 'config' });
});

test('metrics token: an existing file readable by others is tightened; a short one refused', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-token-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'metrics.token');
  writeFileSync(file, 'a-token-set-by-the-operator-1234\n');
  chmodSync(file, 0o644);
  const t1 = metricsToken('', dir);
  assert.deepEqual(t1, { token: 'a-token-set-by-the-operator-1234', file, source: 'tightened' });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  writeFileSync(file, 'short\n');
  assert.throws(() => metricsToken('', dir), /shorter than 16 characters/);
});
