/**
 * Live: the signal family on the real kernel. Each call's target is the task the kernel signalled
 * (host pid, comm, exe from the process table); a signal to a process group that includes this
 * process (the agent here: the sensor runs in it) names the agent; a process signalling itself
 * and the agent's own signals are not reported.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import type { VigilEvent } from '../../src/event/types.js';
import { liveSensor, PYTHON, runTraced } from './harness.js';

const SIGNALS = new Set(['kill', 'tkill', 'tgkill', 'pidfd_send_signal']);
const signals = (events: VigilEvent[]): VigilEvent[] => events.filter((e) => SIGNALS.has(e.type));

test('kill, tgkill and pidfd_send_signal name the process the kernel signalled', async (t) => {
  const live = await liveSensor(t);
  if (!live) return;
  const code = [
    'import ctypes, os, signal, subprocess, time',
    "p = subprocess.Popen(['/usr/bin/sleep', '30'])",
    // Until the child runs sleep, its comm is python's. The kernel renames the task before the
    // exec is complete and reported (sched_process_exec): give the exec record time to be written
    // first, or the target's exe (from the process table) is still python's.
    "while open('/proc/%d/comm' % p.pid).read().strip() != 'sleep': time.sleep(0.01)",
    'time.sleep(0.1)',
    'os.kill(p.pid, signal.SIGSTOP)',
    'ctypes.CDLL(None).syscall(234, p.pid, p.pid, signal.SIGCONT)',
    'fd = os.pidfd_open(p.pid)',
    'signal.pidfd_send_signal(fd, signal.SIGKILL)',
    'p.wait()',
    'r = ctypes.CDLL(None, use_errno=True).kill(4194303, signal.SIGTERM)',
    'os.kill(os.getpid(), signal.SIGWINCH)',
    'print(p.pid, r)',
  ].join('\n');
  const { result, events } = await runTraced(live, PYTHON, ['-c', code]);
  const [sleeper, rc] = result.stdout.trim().split(' ').map(Number);
  assert.equal(rc, -1, result.stderr);
  const got = signals(events);
  assert.deepEqual(
    got.map((e) => [e.type, e.args.sig, e.args.res]),
    [
      ['kill', 'SIGSTOP', 0],
      ['tgkill', 'SIGCONT', 0],
      ['pidfd_send_signal', 'SIGKILL', 0],
      ['kill', 'SIGTERM', 'ESRCH'],
    ],
    'the self-directed SIGWINCH is not reported',
  );
  const [stop, cont, pidfd, missing] = got;
  for (const e of [stop, cont, pidfd]) {
    assert.equal(e.target?.pid, sleeper);
    assert.equal(e.target?.name, 'sleep');
    assert.equal(e.target?.exe, '/usr/bin/sleep');
    assert.equal(e.target?.is_agent, false);
    assert.equal(e.proc.pid, result.pid);
  }
  assert.equal(stop.args.pid, sleeper);
  assert.equal(stop.rawargs.sig, 19);
  assert.deepEqual([cont.args.pid, cont.args.tid], [sleeper, sleeper]);
  assert.equal(typeof pidfd.args.pidfd, 'number');
  // No such process: nothing signalled, the target is the pid as passed.
  assert.equal(missing.target?.pid, 4194303);
  assert.equal(missing.target?.name, '');
});

test('a signal to a process group that includes the agent names the agent; its own signals are not seen', async (t) => {
  const live = await liveSensor(t);
  if (!live) return;
  // kill(0, SIGWINCH): the caller's process group, which this process leads or shares (spawned
  // without `detached`). SIGWINCH is ignored by default.
  const { events } = await runTraced(live, '/bin/sh', ['-c', 'kill -WINCH 0']);
  const [group] = signals(events);
  assert.equal(group?.args.pid, 0);
  assert.equal(group.target?.is_agent, true);
  assert.equal(group.target?.pid, process.pid);
  // Sent as the agent is signalled: the count of processes reached so far.
  assert.ok((group.target?.count ?? 0) >= 1);

  // The agent signalling a child: never reported (the kernel ignores the agent's own activity).
  const child = spawn('/usr/bin/sleep', ['30'], { stdio: 'ignore' });
  const mine = live.watch((e) => SIGNALS.has(e.type) && e.proc.pid === process.pid);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  // Records arrive in order: once a later process's exit is in, the agent's kill would be too.
  await runTraced(live, '/bin/sh', ['-c', `kill -USR2 ${child.pid} 2>/dev/null; true`]);
  live.unwatch(mine);
  assert.equal(mine.count, 0, 'the agent signalling a child is not reported');
});
