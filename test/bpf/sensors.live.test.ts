// The sensor object (build/bpf/sensors.bpf.o) against the real kernel: every program loads and
// attaches, and real syscalls produce records whose header and payload carry the kernel's facts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { promisify } from 'node:util';
import { test } from 'node:test';

import type { EventType } from '../../src/event/types.js';
import { HDR_F_RELATIVE, LAYOUT } from '../../src/kernel/layout.js';
import { cgroupPathFromProc } from '../../src/sensor/procfs.js';
import { requireLive } from '../support/live.js';
import { ipv4End, payloadI32, payloadU16, payloadU32, payloadU64 } from './records.js';
import { startSensors, typeValue } from './support.js';

const run = promisify(execFile);
const EX = LAYOUT.vg_exec.fields;
const FI = LAYOUT.vg_file.fields;
const NE = LAYOUT.vg_net.fields;
const DU = LAYOUT.vg_dup.fields;
const FD_IPV4 = 3; // enum vg_fd_kind

/** The type of the filesystem a path is on (the longest mount point that prefixes it). */
function fsTypeOf(path: string): string {
  let best = { target: '', type: '' };
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const [, target, type] = line.split(' ');
    if (target === undefined || type === undefined) continue;
    const under = target === '/' || path === target || path.startsWith(`${target}/`);
    if (under && target.length >= best.target.length) best = { target, type };
  }
  return best.type;
}

function listen(): Promise<Server> {
  const server = createServer((socket) => socket.on('error', () => {}).resume());
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

test('every sensor program loads and attaches; real syscalls give records with the kernel facts', async (t) => {
  if (!requireLive(t)) return;
  const { object, records, missing, refused, stat } = await startSensors(t);
  assert.deepEqual(refused, [], 'programs the kernel refused');
  t.diagnostic(`tracepoints missing on this kernel: ${missing.join(', ') || 'none'}`);

  const server = await listen();
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;

  // The workload: an exec with a relative and an absolute open, a failing exec'd process, and a
  // shell wiring a TCP connection to its stdout. Arguments go through argv, never a shell string.
  const env = { PATH: '/usr/bin:/bin', VG_TEST_MARKER: 'sensors-test' };
  const cat = run('/usr/bin/cat', ['/etc/hostname', 'hostname'], { cwd: '/etc', env });
  const catChild = cat.child;
  await cat;
  await run('/usr/bin/cat', ['/nonexistent-vigil-test'], { env }).catch(() => undefined);
  const bashScript = 'exec 3<>"/dev/tcp/127.0.0.1/$1" && exec 1>&3 && echo hi';
  const bash = run('/bin/bash', ['-c', bashScript, 'bash', String(port)], { env });
  const bashChild = bash.child;
  await bash;
  await object.stopRingBuffer();

  const catPid = catChild.pid!;
  const bashPid = bashChild.pid!;
  const of = (pid: number, type: EventType) =>
    records.filter((r) => r.pid === pid && r.type === typeValue(type));

  // Header, from the exec of cat.
  const [exec] = of(catPid, 'execve');
  assert.ok(exec, 'exec record of cat');
  assert.equal(exec.size, exec.buf.length);
  assert.equal(exec.tid, catPid);
  assert.equal(exec.ppid, process.pid);
  assert.equal(exec.uid, process.getuid!());
  assert.equal(exec.comm, 'cat');
  assert.equal(exec.loginuid, Number(readFileSync('/proc/self/loginuid', 'utf8')));
  assert.equal(exec.mntNs, statSync('/proc/self/ns/mnt').ino);
  assert.equal(exec.pidNs, statSync('/proc/self/ns/pid').ino);
  assert.equal(exec.truncated, 0);
  const [exe, argv, envp, cwd, cgroup] = exec.strings;
  assert.equal(exe, '/usr/bin/cat');
  assert.equal(argv, '/usr/bin/cat\0/etc/hostname\0hostname\0');
  assert.equal(payloadU32(exec, EX.argc), 3);
  assert.ok(envp!.split('\0').includes('VG_TEST_MARKER=sensors-test'), envp);
  assert.equal(cwd, '/etc');
  assert.equal(cgroup, cgroupPathFromProc(readFileSync('/proc/self/cgroup', 'utf8')));
  const catStat = statSync('/usr/bin/cat');
  assert.equal(payloadU64(exec, EX.exe_ino), BigInt(catStat.ino));
  // overlayfs's stat gives the real file's st_dev, the kernel's inode is the overlay's (VM guests).
  if (fsTypeOf('/usr/bin/cat') !== 'overlay') assert.equal(payloadU32(exec, EX.exe_dev), catStat.dev);
  assert.equal(payloadU32(exec, EX.exe_mode), catStat.mode);
  assert.equal(payloadU32(exec, EX.vpid), catPid);
  const catTimes = statSync('/usr/bin/cat', { bigint: true });
  assert.equal(payloadU64(exec, EX.exe_mtime_ns), catTimes.mtimeNs);
  assert.equal(payloadU64(exec, EX.exe_ctime_ns), catTimes.ctimeNs);

  // The opens: absolute, and relative to the cwd; each with the real path of the file it opened
  // (walked from the kernel's dentries), so no dirpath is walked.
  const opens = of(catPid, 'openat').filter((r) => r.strings[0]!.endsWith('hostname'));
  const hostname = statSync('/etc/hostname');
  const absolute = opens.find((r) => r.strings[0] === '/etc/hostname');
  const relative = opens.find((r) => r.strings[0] === 'hostname');
  assert.ok(absolute && relative, JSON.stringify(opens.map((r) => r.strings)));
  for (const open of [absolute, relative]) {
    assert.ok(open.retval >= 0n);
    assert.equal(BigInt(payloadI32(open, FI.fd)), open.retval);
    assert.equal(payloadU64(open, FI.ino), BigInt(hostname.ino));
    if (fsTypeOf('/etc/hostname') !== 'overlay') assert.equal(payloadU32(open, FI.dev), hostname.dev);
  }
  for (const open of [absolute, relative]) {
    assert.equal(open.flags & HDR_F_RELATIVE, 0);
    assert.equal(open.strings[1], '');
    assert.equal(open.strings[5], '/etc/hostname');
  }

  // Exit codes as wait(2) gives them.
  const [exit] = of(catPid, 'procexit');
  assert.equal(payloadI32(exit!, LAYOUT.vg_exit.fields.exit_code), 0);
  const failed = records.find(
    (r) => r.type === typeValue('execve') && r.strings[1] === '/usr/bin/cat\0/nonexistent-vigil-test\0',
  );
  assert.ok(failed);
  const [failedExit] = of(failed.pid, 'procexit');
  assert.equal(payloadI32(failedExit!, LAYOUT.vg_exit.fields.exit_code), 1 << 8);

  // The connect and the dup2 of the socket onto stdout.
  const connect = of(bashPid, 'connect').find((r) => r.retval === 0n);
  assert.ok(connect, 'successful connect from bash');
  assert.equal(ipv4End(connect, NE.remote), `2/127.0.0.1:${port}`);
  assert.match(ipv4End(connect, NE.local), /^2\/127\.0\.0\.1:\d+$/);
  // (Before its exec, the child was node wiring its pipes onto 0-2 with dup2 too.)
  const dup2 = of(bashPid, 'dup2').find((r) => r.comm === 'bash' && payloadI32(r, DU.newfd) === 1);
  assert.ok(dup2, 'dup2 onto stdout');
  assert.equal(payloadU16(dup2, DU.kind), FD_IPV4);
  assert.equal(payloadI32(dup2, DU.oldfd), 3);
  assert.equal(ipv4End(dup2, DU.remote), `2/127.0.0.1:${port}`);

  // The agent filter, and the counters.
  assert.equal(records.filter((r) => r.pid === process.pid).length, 0, 'records of the agent itself');
  assert.equal(stat('dropped'), 0n);
  assert.equal(stat('scratch_fail'), 0n);
  assert.ok(stat('events') >= BigInt(records.length));
  assert.ok(stat('truncated') >= BigInt(records.filter((r) => r.truncated !== 0).length));
  for (const r of records) assert.equal(r.size, r.buf.length, `record size of type ${r.type}`);
});
