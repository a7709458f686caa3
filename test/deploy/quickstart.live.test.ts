/**
 * scripts/quickstart.sh --check: the script behind the README's first command,
 * in the mode that installs and runs nothing. It needs root and a BPF kernel
 * (it ends with `vigil doctor`), and everything built by `make`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { requireLive } from '../support/live.js';
import { repo } from './support.js';

test('quickstart.sh --check: packages, Node, npm tree, build and kernel are ready', (t) => {
  if (!requireLive(t)) return;
  const r = spawnSync('bash', [repo('scripts', 'quickstart.sh'), '--check'], {
    cwd: repo(),
    encoding: 'utf8',
    timeout: 120_000,
  });
  const out = r.stdout + r.stderr;
  assert.equal(r.status, 0, out);
  for (const step of [
    'system packages',
    'Node.js',
    'npm dependencies',
    'build',
    "bundled rules are root's",
    'kernel',
  ]) {
    assert.match(r.stdout, new RegExp(`==> ${step}`));
  }
  assert.match(r.stdout, /\[ok {2}\] tracepoint programs/);
  assert.match(r.stdout, /quickstart --check: ready/);
  assert.doesNotMatch(out, /MISSING/);
});
