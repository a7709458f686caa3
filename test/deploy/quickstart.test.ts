/**
 * scripts/quickstart.sh, the script behind the README's first command: its arguments.
 * The --check mode (root, a BPF kernel and everything built): quickstart.live.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { repo } from './support.js';

test('quickstart.sh rejects an unknown argument without doing anything', () => {
  const r = spawnSync('bash', [repo('scripts', 'quickstart.sh'), '--bogus'], {
    cwd: repo(),
    encoding: 'utf8',
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown argument '--bogus'/);
});
