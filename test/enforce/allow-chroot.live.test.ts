/**
 * enforcement.allow.exe by identity, on the real kernel with a real `vigil run --enforce`: a copy
 * of sleep placed at `<chroot>/sbin/init` runs as `/sbin/init` inside its chroot, but it is not
 * the allowed file, so a user-space kill rule kills it although `/sbin/init` is on the
 * allow-list. Twin: the allowed file itself (an entry of the list) matching the same rule
 * survives, its alert saying `allowed`. The real /sbin/init is unit-tested
 * (test/enforce/exe-identity.test.ts).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { requireLive } from '../support/live.js';
import { Agent } from './agent.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-allow-chroot-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A chroot holding a copy of /bin/sleep at /sbin/init, and the libraries it loads. */
function chrootWithInit(root: string): void {
  mkdirSync(join(root, 'sbin'), { recursive: true });
  copyFileSync('/bin/sleep', join(root, 'sbin/init'));
  const ldd = execFileSync('ldd', ['/bin/sleep'], { encoding: 'utf8' });
  for (const m of ldd.matchAll(/(\/\S+)/g)) {
    const lib = m[1];
    mkdirSync(join(root, dirname(lib)), { recursive: true });
    copyFileSync(lib, join(root, lib));
  }
  execFileSync('chmod', ['755', join(root, 'sbin/init')]);
}

function run(
  cmd: string,
  args: string[],
): Promise<{ pid: number; signal: NodeJS.Signals | null; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ pid: child.pid!, code, signal }));
  });
}

test('a copy at <chroot>/sbin/init is killed although /sbin/init is allowed', async (t) => {
  if (!requireLive(t)) return;
  const root = join(dir, 'root');
  chrootWithInit(root);
  const allowed = join(dir, 'allowed-sleep');
  copyFileSync('/bin/sleep', allowed);
  execFileSync('chmod', ['755', allowed]);
  // A duration unique to this run: the rule matches it in proc.cmdline, which only user space
  // can check, so the kill and the allow-list are the enforcer's.
  const secs = `20.${randomInt(100_000, 999_999)}`;
  const rules = `
- rule: Allow-list identity test
  desc: a sleep with this run's duration
  condition: evt.type = execve and proc.cmdline contains ${secs} and proc.name != chroot
  output: exec %proc.exepath (%proc.cmdline)
  priority: WARNING
  action: kill
`;
  const config = `enforcement:\n  allow:\n    exe: [/sbin/init, ${allowed}]\n`;
  const agent = await Agent.start(rules, ['--enforce'], config);
  try {
    const copy = await run('chroot', [root, '/sbin/init', secs]);
    assert.equal(copy.signal, 'SIGKILL', 'the chroot copy is killed');
    const a = await agent.alertFor('Allow-list identity test', copy.pid);
    assert.equal(a.event.proc.exe, '/sbin/init', 'the process sees itself as /sbin/init');
    assert.equal(a.action, 'killed');
    assert.equal(a.enforcement?.mode, 'userspace');

    const twin = spawn(allowed, [secs], { stdio: 'ignore' });
    const b = await agent.alertFor('Allow-list identity test', twin.pid!);
    assert.equal(b.action, 'alert');
    assert.equal(b.enforcement?.mode, 'allowed');
    assert.equal(b.enforcement?.reason, `enforcement.allow.exe (${allowed})`);
    assert.equal(twin.exitCode, null, 'the allowed file runs on');
    twin.kill('SIGTERM');
  } finally {
    await agent.stop();
  }
});
