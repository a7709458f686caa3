/**
 * `vigil events` where it cannot run: as an unprivileged user it exits 1 with
 * one sentence saying what is missing, not a stack trace. (Needs root to start
 * the command as another user.)
 */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requireLive } from '../support/live.js';

const here = dirname(fileURLToPath(import.meta.url));
const compiled = here.includes(`${join('dist', 'test')}`);
const root = resolve(here, compiled ? '../../..' : '../..');

/** argv that runs the vigil command from this checkout (compiled or through tsx). */
function vigilArgv(args: string[]): string[] {
  if (compiled) return [join(root, 'bin/vigil.js'), ...args];
  const main = JSON.stringify(join(root, 'src/cli/main.ts'));
  return ['--import', 'tsx', '-e', `import(${main}).then((m) => m.main(${JSON.stringify(args)}))`];
}

test('vigil events without root: exit 1, one clear sentence', (t) => {
  if (!requireLive(t)) return;
  const r = spawnSync(process.execPath, vigilArgv(['events']), {
    cwd: root,
    uid: 65534,
    gid: 65534,
    encoding: 'utf8',
    env: { ...process.env, HOME: '/tmp', TSX_TSCONFIG_PATH: join(root, 'tsconfig.json') },
    timeout: 60_000,
  });
  assert.equal(r.status, 1, `stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^vigil: vigil needs root \(or CAP_BPF\+CAP_PERFMON.*\) to load its probes$/);
});
