import { test } from 'node:test';
import assert from 'node:assert/strict';
import { choosePrograms } from '../../src/sensor/sensor.js';

const PROGRAMS = [
  { name: 'sched_exec', section: 'tp_btf/sched_process_exec' },
  { name: 'sched_fork', section: 'tp_btf/sched_process_fork' },
  { name: 'sched_exit', section: 'tp_btf/sched_process_exit' },
  { name: 'enter_openat', section: 'tracepoint/syscalls/sys_enter_openat' },
  { name: 'exit_openat', section: 'tracepoint/syscalls/sys_exit_openat' },
  { name: 'enter_chdir', section: 'tracepoint/syscalls/sys_enter_chdir' },
  { name: 'exit_chdir', section: 'tracepoint/syscalls/sys_exit_chdir' },
  { name: 'enter_fchdir', section: 'tracepoint/syscalls/sys_enter_fchdir' },
  { name: 'exit_fchdir', section: 'tracepoint/syscalls/sys_exit_fchdir' },
  { name: 'enter_finit_module', section: 'tracepoint/syscalls/sys_enter_finit_module' },
  { name: 'exit_finit_module', section: 'tracepoint/syscalls/sys_exit_finit_module' },
  { name: 'sys_exit_module', section: 'tp_btf/sys_exit' },
];

test('only the programs of the wanted types load, plus exec/fork/exit/chdir', () => {
  const { load, missing } = choosePrograms(PROGRAMS, ['openat'], () => true);
  assert.deepEqual([...load].sort(), [
    'enter_chdir',
    'enter_fchdir',
    'enter_openat',
    'exit_chdir',
    'exit_fchdir',
    'exit_openat',
    'sched_exec',
    'sched_exit',
    'sched_fork',
  ]);
  assert.deepEqual(missing, []);
});

test('module events: their tracepoints, else the sys_exit stand-in only when fallbacks are on', () => {
  const noModuleTps = (s: string) => !s.includes('module');
  const off = choosePrograms(PROGRAMS, ['finit_module'], noModuleTps);
  assert.ok(!off.load.has('sys_exit_module') && !off.load.has('enter_finit_module'));
  assert.deepEqual(off.withheld, ['finit_module']);
  assert.deepEqual(off.missing, []);
  const on = choosePrograms(PROGRAMS, ['finit_module'], noModuleTps, true);
  assert.ok(on.load.has('sys_exit_module') && !on.load.has('enter_finit_module'));
  assert.deepEqual(on.withheld, []);
  const withTps = choosePrograms(PROGRAMS, ['finit_module'], () => true).load;
  assert.ok(withTps.has('enter_finit_module') && !withTps.has('sys_exit_module'));
});

test('types the object or kernel cannot report are listed, not fatal', () => {
  const { missing } = choosePrograms(PROGRAMS, ['connect'], () => true);
  assert.deepEqual(missing, ['connect']);
});

test("a row's extra programs load where the kernel has their hook, and never make a type missing", () => {
  const programs = [...PROGRAMS, { name: 'io_uring_complete', section: 'tp_btf/io_uring_complete' }];
  assert.ok(choosePrograms(programs, ['openat'], () => true).load.has('io_uring_complete'));
  const noUring = (s: string) => s !== 'tp_btf/io_uring_complete';
  const { load, missing } = choosePrograms(programs, ['openat'], noUring);
  assert.ok(!load.has('io_uring_complete'));
  assert.ok(load.has('exit_openat'));
  assert.deepEqual(missing, []);
});
