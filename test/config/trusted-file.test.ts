/**
 * Rule and config files that a non-root user could change are refused: real
 * files with real modes and owners (chown needs root; those cases skip without it).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync, chownSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { assertTrusted, untrustedReason, UntrustedFileError } from '../../src/config/index.js';

const NOBODY = 65534;

function fixture(t: TestContext): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-trust-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'rules.yaml');
  writeFileSync(file, '- rule: x\n', { mode: 0o644 });
  return { dir, file };
}

const needsRoot = (t: TestContext): boolean => {
  if (process.geteuid?.() === 0) return true;
  t.skip('chown needs root');
  return false;
};

test('a file only root can write is accepted', (t) => {
  const { file } = fixture(t);
  assert.equal(untrustedReason(file, 'rule file'), null);
  assertTrusted(file, 'rule file');
});

test('a world-writable rule file is refused, naming the file, mode and owner', (t) => {
  const { file } = fixture(t);
  chmodSync(file, 0o666);
  assert.throws(
    () => assertTrusted(file, 'rule file'),
    (err: unknown) => {
      assert.ok(err instanceof UntrustedFileError);
      assert.equal(err.path, file);
      assert.match(
        err.message,
        new RegExp(
          `^refusing rule file ${file}: it is writable by every user \\(mode 0666, owner \\d+:\\d+\\)`,
        ),
      );
      assert.match(err.message, /chmod go-w/);
      return true;
    },
  );
});

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

test('a directory above the file that others can write is refused', (t) => {
  const { dir } = fixture(t);
  const sub = join(dir, 'rules.d');
  mkdirSync(sub, { mode: 0o755 });
  const file = join(sub, 'r.yaml');
  writeFileSync(file, '[]\n', { mode: 0o644 });
  chmodSync(sub, 0o777);
  assert.match(
    untrustedReason(file, 'rule file') ?? '',
    /a directory above it \(.*rules\.d\) is writable by every user/,
  );
  // The sticky bit (as on /tmp) keeps others from replacing entries they do not own.
  chmodSync(sub, 0o1777);
  assert.equal(untrustedReason(file, 'rule file'), null);
});

test('a directory owned by another user is refused, the file inside too', (t) => {
  if (!needsRoot(t)) return;
  const { dir, file } = fixture(t);
  chownSync(dir, NOBODY, NOBODY);
  assert.match(untrustedReason(file) ?? '', /a directory above it \(.*\) is owned by uid 65534/);
  assert.match(untrustedReason(dir) ?? '', /it is owned by uid 65534/);
});

test('a symbolic link into an untrusted directory is judged by its target', (t) => {
  const { dir } = fixture(t);
  const open = join(dir, 'open');
  mkdirSync(open, { mode: 0o777 });
  chmodSync(open, 0o777);
  const target = join(open, 'evil.yaml');
  writeFileSync(target, '[]\n', { mode: 0o644 });
  const link = join(dir, 'rules.yaml.link');
  symlinkSync(target, link);
  assert.match(
    untrustedReason(link, 'rule file') ?? '',
    /refusing rule file .*rules\.yaml\.link -> .*evil\.yaml: a directory above it/,
  );
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
