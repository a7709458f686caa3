/**
 * Live: clone events carry the clone flags of the call that made the process (read from the
 * parent's syscall registers at sched_process_fork): fork() through clone, posix_spawn through
 * clone3 (glibc), each as Falco renders evt.arg.flags.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { liveSensor, PYTHON, runTraced } from './harness.js';

test('clone flags of fork (clone) and posix_spawn (clone3)', async (t) => {
  const live = await liveSensor(t);
  if (!live) return;
  const code = [
    'import os',
    'pid = os.fork()',
    'if pid == 0: os._exit(0)',
    'os.waitpid(pid, 0)',
    "spawned = os.posix_spawn('/usr/bin/true', ['true'], {})",
    'os.waitpid(spawned, 0)',
    'print(pid, spawned)',
  ].join('\n');
  const { result, events } = await runTraced(live, PYTHON, ['-c', code]);
  const [forked, spawned] = result.stdout.trim().split(' ').map(Number);
  const clones = events.filter((e) => e.type === 'clone' && e.proc.pid === result.pid);
  const fork = clones.find((e) => e.args.child_pid === forked);
  const spawn = clones.find((e) => e.args.child_pid === spawned);
  assert.ok(fork && spawn, `both clones seen: ${JSON.stringify(clones.map((e) => e.args))}`);
  // glibc's fork(): clone(CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD).
  assert.equal(fork.args.flags, 'CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID');
  assert.equal(Number(fork.rawargs.flags) & 0xff, 17, 'the exit signal in the low byte');
  // posix_spawn: the child shares memory and the parent waits for its exec.
  assert.match(String(spawn.args.flags), /CLONE_VM/);
  assert.match(String(spawn.args.flags), /CLONE_VFORK/);
});
