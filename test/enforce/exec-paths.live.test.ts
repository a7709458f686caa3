/**
 * Kill at exec on every exec path and on the fields the kernel checks there, through a real
 * `vigil run --enforce`: Falco's `evt.type in (execve, execveat)` idiom (a macro, as Falco's
 * `spawned_process`) with proc.exepath, run by execve, by execveat of the path and by fexecve
 * (AT_EMPTY_PATH); proc.exe (argv[0]) on a memfd run by fexecve; proc.name on a script run
 * through its interpreter; proc.pname, a child of a named shell. Each killed program prints
 * nothing (SIGKILL at sched_process_exec, before its first instruction) and its alert says the
 * kernel killed it at exec; a benign twin of each runs and prints.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { liveUnavailable, requireLive } from '../support/live.js';
import { assertKilledAtExec, enforcingAgent, runChild, type Ran } from './agent.js';

/** python3 EXEC_PY MODE PATH ARGV0 ARG: replaces itself with PATH by execveat, fexecve or a memfd. */
const EXEC_PY = `
import ctypes, os, platform, sys
mode, path, argv0, arg = sys.argv[1:5]
argv = [argv0, arg]
if mode == "execveat":
    nr = {"x86_64": 322, "aarch64": 281}[platform.machine()]
    libc = ctypes.CDLL(None, use_errno=True)
    arr = (ctypes.c_char_p * 3)(argv0.encode(), arg.encode(), None)
    env = (ctypes.c_char_p * 1)(None)
    libc.syscall(nr, -100, path.encode(), arr, env, 0)
    sys.exit("execveat failed: %d" % ctypes.get_errno())
if mode == "fexecve":
    fd = os.open(path, os.O_RDONLY)
else:
    fd = os.memfd_create("vg", 0)
    with open(path, "rb") as f:
        os.write(fd, f.read())
os.execve(fd, argv, {})
`;

const tag = randomBytes(4).toString('hex');
let dir = '';
const killExe = (): string => join(dir, `vgx-${tag}`);
const twinExe = (): string => join(dir, `vgy-${tag}`);
const script = (): string => join(dir, `vgs${tag}`);
const twinScript = (): string => join(dir, `vgt${tag}`);
const parentSh = (): string => join(dir, `vgp${tag}`);
const argv0 = `vgm-${tag}`;

function rules(): string {
  return `
- macro: vg_spawned_${tag}
  condition: evt.type in (execve, execveat) and evt.res = SUCCESS
- rule: Exec paths exepath
  desc: a named binary runs, however it is executed
  condition: vg_spawned_${tag} and proc.exepath = ${killExe()}
  output: exec %proc.exepath
  priority: WARNING
  action: kill
- rule: Exec paths argv0
  desc: a program named so in argv[0]
  condition: evt.type in (execve, execveat) and proc.exe = ${argv0}
  output: exec %proc.exe
  priority: WARNING
  action: kill
- rule: Exec paths script
  desc: a named script runs
  condition: evt.type = execve and proc.name = vgs${tag}
  output: exec %proc.name
  priority: WARNING
  action: kill
- rule: Exec paths parent
  desc: a child of a named shell
  condition: evt.type in (execve, execveat) and proc.pname = vgp${tag}
  output: exec %proc.cmdline parent %proc.pname
  priority: WARNING
  action: kill
`;
}

before(() => {
  if (liveUnavailable() !== null) return;
  dir = mkdtempSync(join(tmpdir(), 'vigil-exec-paths-'));
  copyFileSync('/bin/echo', killExe());
  copyFileSync('/bin/echo', twinExe());
  copyFileSync('/bin/sh', parentSh());
  writeFileSync(script(), '#!/bin/sh\necho script ran\n');
  writeFileSync(twinScript(), '#!/bin/sh\necho script ran\n');
  for (const f of [killExe(), twinExe(), parentSh(), script(), twinScript()]) chmodSync(f, 0o755);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('kill at exec on every exec path (--enforce)', () => {
  const agent = enforcingAgent(rules);
  const killedAtExec = (rule: string, r: Ran): Promise<void> => assertKilledAtExec(agent(), rule, r);

  test('evt.type in (execve, execveat) with proc.exepath: execve, execveat and fexecve', async (t) => {
    if (!requireLive(t)) return;
    const twin = await runChild(twinExe(), ['hello']);
    assert.deepEqual([twin.code, twin.stdout], [0, 'hello\n']);
    const twinAt = await runChild('/usr/bin/python3', ['-c', EXEC_PY, 'execveat', twinExe(), 'x', 'hi']);
    assert.deepEqual([twinAt.code, twinAt.stdout], [0, 'hi\n']);
    await killedAtExec('Exec paths exepath', await runChild(killExe(), ['hello']));
    for (const mode of ['execveat', 'fexecve']) {
      const r = await runChild('/usr/bin/python3', ['-c', EXEC_PY, mode, killExe(), 'x', 'hi']);
      await killedAtExec('Exec paths exepath', r);
    }
  });

  test('proc.exe (argv[0]): a memfd run by fexecve', async (t) => {
    if (!requireLive(t)) return;
    const twin = await runChild('/usr/bin/python3', ['-c', EXEC_PY, 'memfd', '/bin/echo', `${argv0}x`, 'hi']);
    assert.deepEqual([twin.code, twin.stdout], [0, 'hi\n']);
    const r = await runChild('/usr/bin/python3', ['-c', EXEC_PY, 'memfd', '/bin/echo', argv0, 'hi']);
    await killedAtExec('Exec paths argv0', r);
  });

  test('proc.name: a script run through its interpreter', async (t) => {
    if (!requireLive(t)) return;
    const twin = await runChild(twinScript(), []);
    assert.deepEqual([twin.code, twin.stdout], [0, 'script ran\n']);
    await killedAtExec('Exec paths script', await runChild(script(), []));
  });

  test('proc.pname: the children of a named shell', async (t) => {
    if (!requireLive(t)) return;
    const cmd = '/bin/echo child; echo "status $?"';
    const twin = await runChild('/bin/sh', ['-c', cmd]);
    assert.deepEqual([twin.code, twin.stdout], [0, 'child\nstatus 0\n']);
    const r = await runChild(parentSh(), ['-c', cmd]);
    // The shell itself runs; its child is killed before printing (128 + SIGKILL).
    assert.deepEqual([r.code, r.stdout], [0, 'status 137\n']);
    const child = await agent().alertForChild('Exec paths parent', r.pid);
    assert.equal(child.action, 'killed');
    assert.equal(child.event.proc.exe, '/usr/bin/echo');
    assert.ok(!agent().alerts.some((x) => x.rule === 'Exec paths parent' && x.event.proc.pid === r.pid));
    assert.deepEqual(child.enforcement, { mode: 'kernel', class: 'kernel-exec-kill' });
  });
});
