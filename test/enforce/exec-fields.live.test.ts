/**
 * The exec fields the kernel checks beyond names and paths, through a real `vigil run
 * --enforce`: the parent's exe path (proc.pexepath), proc.cmdline and proc.args by prefix,
 * contains and exact value. Each matched program prints nothing (SIGKILL at sched_process_exec)
 * and its alert says the kernel killed it at exec; a benign twin of each runs and prints. A
 * value past the window the kernel reads is killed from user space instead, labelled so. A
 * parent that renamed itself unseen (prctl, no event) has its child killed by the kernel's
 * proc.pname check, and the alert of that rule comes from the kernel's word.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { liveUnavailable, requireLive } from '../support/live.js';
import { assertKilledAtExec, enforcingAgent, runChild, type Ran } from './agent.js';

/** python3 RENAME_PY NAME: renames itself (comm) with prctl, then runs /bin/echo and prints its status. */
const RENAME_PY = `
import ctypes, subprocess, sys
ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)
print("status", subprocess.run(["/bin/echo", "child"]).returncode, flush=True)
`;

const tag = randomBytes(4).toString('hex');
let dir = '';
const parentSh = (): string => join(dir, `vgq${tag}`);
const renamed = `vgr${tag}`;

function rules(): string {
  return `
- macro: vg_spawned_${tag}
  condition: evt.type in (execve, execveat) and evt.res = SUCCESS
- rule: Exec fields pexepath
  desc: a child of a shell run from a named path
  condition: vg_spawned_${tag} and proc.pexepath = ${parentSh()}
  output: exec %proc.cmdline parent %proc.pexepath
  priority: WARNING
  action: kill
- rule: Exec fields cmdline prefix
  desc: a command line that starts so
  condition: vg_spawned_${tag} and proc.cmdline startswith "echo --vgp${tag}"
  output: exec %proc.cmdline
  priority: WARNING
  action: kill
- rule: Exec fields cmdline contains
  desc: a command line that mentions the tag
  condition: vg_spawned_${tag} and proc.cmdline contains "mine=${tag}"
  output: exec %proc.cmdline
  priority: WARNING
  action: kill
- rule: Exec fields args exact
  desc: exactly these arguments
  condition: evt.type = execve and proc.args = "-n exact${tag}"
  output: exec %proc.cmdline
  priority: WARNING
  action: kill
- rule: Exec fields args contains
  desc: arguments that mention the tag
  condition: evt.type = execve and proc.args contains "deep${tag}"
  output: exec %proc.cmdline
  priority: WARNING
  action: kill
- rule: Exec fields renamed parent
  desc: a child of a process named so
  condition: vg_spawned_${tag} and proc.pname = ${renamed}
  output: exec %proc.cmdline parent %proc.pname
  priority: WARNING
  action: kill
`;
}

before(() => {
  if (liveUnavailable() !== null) return;
  dir = mkdtempSync(join(tmpdir(), 'vigil-exec-fields-'));
  copyFileSync('/bin/sh', parentSh());
  chmodSync(parentSh(), 0o755);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('kill at exec on the parent exe path and the command line (--enforce)', () => {
  const agent = enforcingAgent(rules);
  const killedAtExec = (rule: string, r: Ran): Promise<void> => assertKilledAtExec(agent(), rule, r);

  async function runs(cmd: string, args: string[], out: string): Promise<void> {
    const r = await runChild(cmd, args);
    assert.deepEqual([r.code, r.stdout], [0, out], `${cmd} ${args.join(' ')}`);
  }

  test('proc.pexepath: the children of a shell run from a named path', async (t) => {
    if (!requireLive(t)) return;
    const cmd = '/bin/echo child; echo "status $?"';
    await runs('/bin/sh', ['-c', cmd], 'child\nstatus 0\n');
    const r = await runChild(parentSh(), ['-c', cmd]);
    // The shell itself runs (its parent is not the named file); its child dies before printing.
    assert.deepEqual([r.code, r.stdout], [0, 'status 137\n']);
    const child = await agent().alertForChild('Exec fields pexepath', r.pid);
    assert.deepEqual(child.enforcement, { mode: 'kernel', class: 'kernel-exec-kill' });
    assert.ok(!agent().alerts.some((x) => x.rule === 'Exec fields pexepath' && x.event.proc.pid === r.pid));
  });

  test('proc.cmdline startswith and contains', async (t) => {
    if (!requireLive(t)) return;
    await runs('/bin/echo', [`--vgq${tag}`], `--vgq${tag}\n`);
    await runs('/bin/echo', ['x', `--vgp${tag}`], `x --vgp${tag}\n`);
    await killedAtExec('Exec fields cmdline prefix', await runChild('/bin/echo', [`--vgp${tag}`, 'y']));
    await runs('/bin/echo', [`mine-${tag}`], `mine-${tag}\n`);
    const r = await runChild('/bin/echo', ['a', 'b', `--opt=1,mine=${tag},z`]);
    await killedAtExec('Exec fields cmdline contains', r);
  });

  test('proc.args: an exact value, and contains inside and past the window the kernel reads', async (t) => {
    if (!requireLive(t)) return;
    await runs('/bin/echo', ['-n', `exact${tag}`, 'more'], `exact${tag} more`);
    await killedAtExec('Exec fields args exact', await runChild('/bin/echo', ['-n', `exact${tag}`]));
    await runs('/bin/echo', [`dee${tag}`], `dee${tag}\n`);
    await killedAtExec(
      'Exec fields args contains',
      await runChild('/bin/echo', ['x'.repeat(200), `deep${tag}`]),
    );
    // At offset 300 of the args: past the 256 offsets the kernel looks at, user space kills.
    const long = await runChild('/bin/sh', ['-c', 'sleep 5', 'sh', 'x'.repeat(300), `deep${tag}`]);
    assert.equal(long.signal, 'SIGKILL', 'the long command line ran to its end');
    const a = await agent().alertFor('Exec fields args contains', long.pid);
    assert.equal(a.action, 'killed');
    assert.equal(a.enforcement?.mode, 'userspace');
    assert.equal(a.enforcement?.class, 'userspace-kill');
  });

  test('proc.pname: a parent renamed unseen still has its child killed, and the alert says so', async (t) => {
    if (!requireLive(t)) return;
    const r = await runChild('/usr/bin/python3', ['-c', RENAME_PY, renamed]);
    assert.deepEqual([r.code, r.stdout], [0, 'status -9\n']);
    const a = await agent().alertForChild('Exec fields renamed parent', r.pid);
    assert.equal(a.action, 'killed');
    assert.equal(a.enforcement?.mode, 'kernel');
    assert.equal(a.enforcement?.class, 'kernel-exec-kill');
    assert.match(a.enforcement?.reason ?? '', /process table differs/);
    await runs('/usr/bin/python3', ['-c', RENAME_PY, `${renamed}x`], 'child\nstatus 0\n');
  });
});
