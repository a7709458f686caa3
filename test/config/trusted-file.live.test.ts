/**
 * Rule and config files that a non-root user could change are refused: the cases
 * with real owners (chown) and a read-only mount, which need root; without it they skip.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync, chownSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { untrustedReason } from '../../src/config/index.js';
import { fixture } from './support.js';

const NOBODY = 65534;

const needsRoot = (t: TestContext): boolean => {
  if (process.geteuid?.() === 0) return true;
  if (process.env.CI) throw new Error('chown needs root, and CI is set: live tests must run in CI');
  t.skip('chown needs root');
  return false;
};

test('a rule file owned by another user (nobody) is refused', (t) => {
  if (!needsRoot(t)) return;
  const { file } = fixture(t);
  chownSync(file, NOBODY, 0);
  assert.match(
    untrustedReason(file, 'rule file') ?? '',
    /it is owned by uid 65534 \(mode 0644, owner 65534:0\)/,
  );
});

test('group-writable is refused unless the group is root', (t) => {
  if (!needsRoot(t)) return;
  const { file } = fixture(t);
  chmodSync(file, 0o664);
  chownSync(file, 0, 0);
  assert.equal(untrustedReason(file), null);
  chownSync(file, 0, NOBODY);
  assert.match(untrustedReason(file) ?? '', /writable by group 65534 \(mode 0664, owner 0:65534\)/);
});

test('a directory owned by another user is refused, the file inside too', (t) => {
  if (!needsRoot(t)) return;
  const { dir, file } = fixture(t);
  chownSync(dir, NOBODY, NOBODY);
  assert.match(untrustedReason(file) ?? '', /a directory above it \(.*\) is owned by uid 65534/);
  assert.match(untrustedReason(dir) ?? '', /it is owned by uid 65534/);
});

test('on a read-only mount (a Kubernetes ConfigMap volume is 0777 and ro) mode bits do not count', (t) => {
  if (!needsRoot(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-trust-'));
  const vol = join(dir, 'configmap');
  mkdirSync(vol);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0777', 'vigil-test', vol]);
  t.after(() => {
    execFileSync('umount', [vol]);
    rmSync(dir, { recursive: true, force: true });
  });
  const file = join(vol, 'vigil.yaml');
  writeFileSync(file, 'logging:\n  level: info\n', { mode: 0o644 });
  assert.match(untrustedReason(file) ?? '', /a directory above it \(.*configmap\) is writable by every user/);
  execFileSync('mount', ['-o', 'remount,ro', vol]);
  assert.equal(untrustedReason(file), null);
});
