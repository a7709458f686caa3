/**
 * Rule and config files that a non-root user could change are refused: real
 * files with real modes. The cases that chown or mount (root): trusted-file.live.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, chmodSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { assertTrusted, untrustedReason, UntrustedFileError } from '../../src/config/index.js';
import { fixture } from './support.js';

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
