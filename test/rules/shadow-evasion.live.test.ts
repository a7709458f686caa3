/**
 * Live: /etc/shadow read by every route that does not name it (#22), with the open prefilter of
 * the bundled rules on, as `vigil run` has it: each raises "Read shadow file" naming /etc/shadow,
 * and the same route to an ordinary file raises nothing. The bind mount of /etc is made before
 * the sensor starts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { deriveOpenFilter } from '../../src/plan/open-filter.js';
import { repoFile } from '../bpf/support.js';
import { requireLive } from '../support/live.js';
import { ruleRunner, type RuleRunner } from './support.js';

const RULE = 'Read shadow file';
const SHADOW = '/etc/shadow';
const fired = { 'fd.name': SHADOW };

/** A scratch directory on /etc's filesystem, where a hard link to /etc/shadow can be made. */
function sameFsScratch(): string {
  const dev = statSync(SHADOW).dev;
  const parent = ['/var/tmp', '/root', '/etc'].find((d) => statSync(d).dev === dev) ?? '/etc';
  return mkdtempSync(join(parent, 'vigil-shadow-evasion-'));
}

let dir = '';
let bind = '';
let helper = '';
let runner: RuleRunner | null = null;

before(() => {
  if (process.getuid?.() !== 0) return;
  dir = sameFsScratch();
  bind = join(dir, 'etc-bind');
  mkdirSync(bind);
  execFileSync('mount', ['--bind', '/etc', bind]);
  copyFileSync('/etc/hostname', join(dir, 'ordinary'));
  helper = join(dir, 'open-routes');
  execFileSync('clang', [
    '-O1',
    '-o',
    helper,
    repoFile('test', 'rules', 'fixtures', 'open-routes.c'),
    '-luring',
  ]);
});

/** Unmounts the bind mount, and only then removes the scratch directory (never /etc through it). */
function cleanUp(): void {
  if (bind !== '') {
    try {
      execFileSync('umount', [bind]);
    } catch {
      execFileSync('umount', ['-l', bind]);
    }
    bind = '';
  }
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
  dir = '';
}
after(cleanUp);
// Also when another after() hook (the shared sensor's) throws first.
process.on('exit', cleanUp);

async function shadowRunner(t: Parameters<typeof ruleRunner>[0]): Promise<RuleRunner | null> {
  if (!requireLive(t)) return null;
  if (runner === null) {
    runner = await ruleRunner(t);
    // The agent's open prefilter: an evasion route must not be dropped in the kernel.
    const plan = deriveOpenFilter(runner?.rules.enabledRules ?? []);
    assert.ok(plan.on, `the bundled rules' open prefilter is off: ${plan.off}`);
    runner?.live.sensor.setOpenFilter(plan);
  }
  return runner;
}

test('through a symlink', async (t) => {
  const r = await shadowRunner(t);
  if (!r) return;
  symlinkSync(SHADOW, join(dir, 'notes'));
  symlinkSync(join(dir, 'ordinary'), join(dir, 'notes-ok'));
  const a = await r.fires(RULE, ['/usr/bin/cat', join(dir, 'notes')], fired);
  assert.equal(a.event.fd?.nameraw, join(dir, 'notes'));
  await r.silent(RULE, ['/usr/bin/cat', join(dir, 'notes-ok')]);
});

test('through a hard link under another name', async (t) => {
  const r = await shadowRunner(t);
  if (!r) return;
  linkSync(SHADOW, join(dir, 'hosts.bak'));
  linkSync(join(dir, 'ordinary'), join(dir, 'hosts.ok'));
  await r.fires(RULE, ['/usr/bin/cat', join(dir, 'hosts.bak')], fired);
  await r.silent(RULE, ['/usr/bin/cat', join(dir, 'hosts.ok')]);
});

test('through a bind mount of /etc made before the agent started', async (t) => {
  const r = await shadowRunner(t);
  if (!r) return;
  await r.fires(RULE, ['/usr/bin/cat', join(bind, 'shadow')], fired);
  await r.silent(RULE, ['/usr/bin/cat', join(bind, 'hostname')]);
});

test('through /proc/self/root', async (t) => {
  const r = await shadowRunner(t);
  if (!r) return;
  await r.fires(RULE, ['/usr/bin/cat', '/proc/self/root/etc/shadow'], fired);
  await r.silent(RULE, ['/usr/bin/cat', '/proc/self/root/etc/hostname']);
});

test('through open_by_handle_at', async (t) => {
  const r = await shadowRunner(t);
  if (!r) return;
  const a = await r.fires(RULE, [helper, 'handle', SHADOW], fired);
  assert.equal(a.event.type, 'open_by_handle_at');
  await r.silent(RULE, [helper, 'handle', join(dir, 'ordinary')]);
});

test('through io_uring (IORING_OP_OPENAT)', async (t) => {
  const r = await shadowRunner(t);
  if (!r) return;
  const a = await r.fires(RULE, [helper, 'uring', SHADOW], fired);
  assert.equal(a.event.fd?.io_uring, true);
  const out = await r.silent(RULE, [helper, 'uring', join(dir, 'ordinary')]);
  // The ring's creation is an event of its own, for rules on who uses io_uring at all.
  const setup = out.events.find((e) => e.type === 'io_uring_setup');
  assert.equal(setup?.args.entries, 4);
  assert.equal(setup?.ret, 3);
});

// io_uring's connects, reads and writes are not seen: who sets a ring up at all is.
test('io_uring set up by an unexpected program', async (t) => {
  const r = await shadowRunner(t);
  if (!r) return;
  const ordinary = join(dir, 'ordinary');
  await r.fires('io_uring set up by an unexpected program', [helper, 'uring', ordinary], {
    'evt.arg.entries': /^4$/,
  });
  // The same program opening the same file without a ring.
  await r.silent('io_uring set up by an unexpected program', [helper, 'handle', ordinary]);
});

// A rule on a directory prefix (fd.name pmatch (/etc)): a file written below /etc through a
// symlinked directory or the bind mount is judged by the directory it really is in.
test('a prefix rule through a symlinked directory and a bind mount: Write below etc', async (t) => {
  const r = await shadowRunner(t);
  if (!r) return;
  const name = `vigil-evasion-${process.pid}`;
  const written = join('/etc', name);
  t.after(() => rmSync(written, { force: true }));
  symlinkSync('/etc', join(dir, 'conf'));
  mkdirSync(join(dir, 'plain'));
  symlinkSync(join(dir, 'plain'), join(dir, 'conf-ok'));
  const write = (path: string) => ['/usr/bin/tee', path];
  await r.fires('Write below etc', write(join(dir, 'conf', name)), { 'fd.name': written });
  rmSync(written, { force: true });
  await r.fires('Write below etc', write(join(bind, name)), { 'fd.name': written });
  await r.silent('Write below etc', write(join(dir, 'conf-ok', name)));
});
