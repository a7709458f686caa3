// The sensor object (build/bpf/sensors.bpf.o) against the real kernel: every program loads and
// attaches, and real syscalls produce records whose header and payload carry the kernel's facts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';

import type { EventType } from '../../src/event/types.js';
import { BpfObject, forEachRecord } from '../../src/sensor/bpf-object.js';
import { HDR_F_RELATIVE, LAYOUT, WIRE_VALUE_BY_TYPE } from '../../src/sensor/layout.js';
import { ensureMounts } from '../../src/sensor/mounts.js';
import { requireLive } from '../support/live.js';
import {
  ipv4End,
  parseRecord,
  payloadI32,
  payloadU16,
  payloadU32,
  payloadU64,
  type RawRecord,
} from './records.js';

const run = promisify(execFile);
const ZERO = Buffer.alloc(4);
const TRACEFS_EVENTS = '/sys/kernel/tracing/events';
const EX = LAYOUT.vg_exec.fields;
const FI = LAYOUT.vg_file.fields;
const NE = LAYOUT.vg_net.fields;
const DU = LAYOUT.vg_dup.fields;
const FD_IPV4 = 3; // enum vg_fd_kind

function repoFile(...parts: string[]): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return join(dir, ...parts);
}

function typeValue(name: EventType): number {
  const value = WIRE_VALUE_BY_TYPE.get(name);
  assert.ok(value !== undefined, name);
  return value;
}

function perCpuSum(object: BpfObject, map: string, offset: number): bigint {
  const values = object.mapLookupPercpu(map, ZERO);
  assert.ok(values);
  return values.reduce((sum, v) => sum + v.readBigUInt64LE(offset), 0n);
}

/** The tracepoint a program's section names is missing from this kernel (e.g. CONFIG_MODULES=n). */
function tracepointMissing(section: string): boolean {
  const tp = /^tracepoint\/(.+)$/.exec(section);
  return tp !== null && !existsSync(join(TRACEFS_EVENTS, tp[1]!));
}

/** The cgroup path events.h promises: v2, else (at the v2 root) v1 pids, else v1 memory. */
function expectedCgroup(procCgroup: string): string {
  const path = (pred: (controllers: string[]) => boolean): string => {
    for (const line of procCgroup.split('\n')) {
      const [, controllers, p] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
      if (controllers !== undefined && p !== undefined && pred(controllers.split(','))) return p;
    }
    return '';
  };
  const candidates = [
    path((c) => c[0] === ''),
    path((c) => c.includes('pids')),
    path((c) => c.includes('memory')),
  ];
  return candidates.find((p) => p !== '' && p !== '/') ?? '/';
}

function listen(): Promise<Server> {
  const server = createServer((socket) => socket.on('error', () => {}).resume());
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

test('every sensor program loads and attaches; real syscalls give records with the kernel facts', async (t) => {
  if (!requireLive(t)) return;
  await ensureMounts();
  const object = BpfObject.open(repoFile('build', 'bpf', 'sensors.bpf.o'));
  t.after(() => object.close());
  object.load();

  // This process is the agent: nothing it does may be reported.
  const config = Buffer.alloc(LAYOUT.vg_config.size);
  config.writeUInt32LE(process.pid, LAYOUT.vg_config.fields.agent_tgid);
  object.mapUpdate('vg_config', ZERO, config);

  const records: RawRecord[] = [];
  object.openRingBuffer('vg_events', (batch) => {
    forEachRecord(batch, (offset, length) => {
      records.push(parseRecord(Buffer.from(batch.subarray(offset, offset + length))));
    });
  });

  // Attach everything; only programs whose tracepoint this kernel lacks may fail, and then the
  // raw_tracepoint fallback for them must attach instead.
  const refused: string[] = [];
  const missing: string[] = [];
  for (const program of object.programs()) {
    if (program.section.startsWith('raw_tracepoint/')) continue;
    try {
      object.attach(program.name);
    } catch (err) {
      if (tracepointMissing(program.section)) missing.push(program.name);
      else refused.push(`${program.name} (${program.section}): ${(err as Error).message}`);
    }
  }
  assert.deepEqual(refused, [], 'programs the kernel refused');
  assert.deepEqual(
    missing.filter((name) => !/^(enter|exit)_f?init_module$/.test(name)),
    [],
    'only the module syscalls may lack tracepoints',
  );
  if (missing.length > 0) {
    object.attach('raw_enter_module');
    object.attach('raw_exit_module');
  }
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
  assert.equal(cgroup, expectedCgroup(readFileSync('/proc/self/cgroup', 'utf8')));
  const catStat = statSync('/usr/bin/cat');
  assert.equal(payloadU64(exec, EX.exe_ino), BigInt(catStat.ino));
  assert.equal(payloadU32(exec, EX.exe_dev), catStat.dev);
  assert.equal(payloadU32(exec, EX.exe_mode), catStat.mode);
  assert.equal(payloadU32(exec, EX.vpid), catPid);

  // The opens: absolute, and relative to the cwd (dirpath walked from the kernel's dentries).
  const opens = of(catPid, 'openat').filter((r) => r.strings[0]!.endsWith('hostname'));
  const hostname = statSync('/etc/hostname');
  const absolute = opens.find((r) => r.strings[0] === '/etc/hostname');
  const relative = opens.find((r) => r.strings[0] === 'hostname');
  assert.ok(absolute && relative, JSON.stringify(opens.map((r) => r.strings)));
  for (const open of [absolute, relative]) {
    assert.ok(open.retval >= 0n);
    assert.equal(BigInt(payloadI32(open, FI.fd)), open.retval);
    assert.equal(payloadU64(open, FI.ino), BigInt(hostname.ino));
    assert.equal(payloadU32(open, FI.dev), hostname.dev);
  }
  assert.equal(absolute.flags & HDR_F_RELATIVE, 0);
  assert.equal(absolute.strings[1], '');
  assert.equal(relative.flags & HDR_F_RELATIVE, HDR_F_RELATIVE);
  assert.equal(relative.strings[1], '/etc');

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
  const S = LAYOUT.vg_stats.fields;
  assert.equal(perCpuSum(object, 'vg_stats', S.dropped), 0n);
  assert.equal(perCpuSum(object, 'vg_stats', S.scratch_fail), 0n);
  assert.ok(perCpuSum(object, 'vg_stats', S.events) >= BigInt(records.length));
  const truncated = records.filter((r) => r.truncated !== 0).length;
  assert.ok(perCpuSum(object, 'vg_stats', S.truncated) >= BigInt(truncated));
  for (const r of records) assert.equal(r.size, r.buf.length, `record size of type ${r.type}`);
});
