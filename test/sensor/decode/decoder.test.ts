import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { VigilEvent } from '../../../src/event/types.js';
import { Decoder } from '../../../src/sensor/decode/decoder.js';
import { WIRE_VALUE_BY_TYPE } from '../../../src/kernel/layout.js';
import { EVENT_ROWS } from '../../../src/event/table.js';
import { ProcessTable } from '../../../src/sensor/process-table.js';
import { ipv6 } from '../../../src/sensor/sockaddr.js';
import { UserDb } from '../../../src/sensor/users.js';
import { buildRecord, frame, ipv4Addr, type RecordSpec } from '../records.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-decode-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'passwd'),
  'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n',
);
writeFileSync(join(dir, 'group'), 'root:x:0:\nalice:x:1000:\n');

const OFFSET = 1_700_000_000e9;
const ID = 'ab'.repeat(32);

function setup(): {
  dec: Decoder;
  table: ProcessTable;
  run: (specs: RecordSpec[], want?: Uint8Array) => VigilEvent[];
} {
  const users = new UserDb({ passwd: join(dir, 'passwd'), group: join(dir, 'group'), statIntervalMs: 0 });
  after(() => users.close());
  // An empty procfs: every process comes from records (or the header fallback).
  const procRoot = mkdtempSync(join(dir, 'proc-'));
  const table = new ProcessTable({ bootToEpochNs: OFFSET, procRoot });
  const dec = new Decoder({ table, users, bootToEpochNs: OFFSET });
  const run = (specs: RecordSpec[], want?: Uint8Array): VigilEvent[] => {
    const out: VigilEvent[] = [];
    dec.decodeBatch(frame(specs.map(buildRecord)), out, want);
    return out;
  };
  return { dec, table, run };
}

const hdr = (pid: number, ppid: number, extra: Record<string, number | string> = {}) => ({
  pid,
  tid: pid,
  ppid,
  ts_ns: 5_000_000_000,
  comm: 'bash',
  ...extra,
});

function execSpec(
  pid: number,
  ppid: number,
  exe: string,
  argv: string[],
  cwd = '/root',
  cgroup = '/',
): RecordSpec {
  return {
    type: 'execve',
    hdr: hdr(pid, ppid, { comm: exe.split('/').pop()! }),
    payload: { argc: argv.length, start_ns: 4_000_000_000, vpid: pid, cap_effective: 0x1ffffffffff },
    strings: [exe, argv.join('\0'), 'PATH=/usr/bin\0LD_PRELOAD=/tmp/x.so', cwd, cgroup],
  };
}

test('exec: the process with exe, argv, env, cwd, caps, container; ts in epoch ns', () => {
  const { run } = setup();
  const [ev] = run([execSpec(10, 1, '/usr/bin/cat', ['cat', '/etc/shadow'], '/root', `/docker/${ID}`)]);
  assert.equal(ev.type, 'execve');
  assert.equal(ev.ts, 5e9 + OFFSET);
  assert.equal(ev.proc.exe, '/usr/bin/cat');
  assert.equal(ev.proc.name, 'cat');
  assert.deepEqual(ev.proc.args, ['cat', '/etc/shadow']);
  assert.equal(ev.proc.cmdline, 'cat /etc/shadow');
  assert.deepEqual(ev.proc.env, ['PATH=/usr/bin', 'LD_PRELOAD=/tmp/x.so']);
  assert.equal(ev.proc.cwd, '/root');
  assert.equal(ev.proc.start_ts, 4e9 + OFFSET);
  assert.equal(ev.proc.cap_effective, 0x1ffffffffff);
  assert.equal(ev.proc.container_id, ID.slice(0, 12));
  assert.equal(ev.container?.id, ID.slice(0, 12));
  assert.equal(ev.user.name, 'root');
  assert.equal(ev.user.loginuid, -1);
  assert.equal(ev.args.exe, 'cat');
  assert.equal(ev.args.args, '/etc/shadow');
});

test('clone, exec, open: parent chain and an absolute path; the failed open carries its errno', () => {
  const { run } = setup();
  const evs = run([
    execSpec(20, 1, '/usr/bin/bash', ['bash']),
    { type: 'clone', hdr: hdr(20, 1), payload: { child_pid: 21, child_vpid: 21, child_start_ns: 6e9 } },
    execSpec(21, 20, '/usr/bin/cat', ['cat', '/etc/shadow']),
    {
      type: 'openat',
      hdr: hdr(21, 20, { retval: 3, comm: 'cat' }),
      payload: { fd: 3, dirfd: -100, flags: 0o2000000, ino: 777 },
      strings: ['/etc/shadow'],
    },
    {
      type: 'openat',
      hdr: hdr(21, 20, { retval: -2, comm: 'cat' }),
      payload: { fd: -2, dirfd: -100, flags: 0 },
      strings: ['/nope'],
    },
  ]);
  assert.deepEqual(
    evs.map((e) => e.type),
    ['execve', 'clone', 'execve', 'openat', 'openat'],
  );
  assert.equal(evs[1].args.child_pid, 21);
  const open = evs[3];
  assert.equal(open.fd?.name, '/etc/shadow');
  assert.equal(open.fd?.num, 3);
  assert.equal(open.fd?.ino, 777);
  assert.equal(open.args.flags, 'O_RDONLY|O_CLOEXEC');
  assert.equal(open.proc.exe, '/usr/bin/cat');
  assert.deepEqual(
    open.proc.ancestors.map((a) => a.exe),
    ['/usr/bin/bash'],
  );
  assert.equal(evs[4].ret, -2);
  assert.equal(evs[4].args.res, 'ENOENT');
});

test('relative paths resolve against the walked dirpath, else the cwd kept from chdir', () => {
  const { run } = setup();
  const evs = run([
    execSpec(30, 1, '/usr/bin/bash', ['bash'], '/root'),
    { type: 'chdir', hdr: hdr(30, 1), payload: {}, strings: ['/etc'] },
    { type: 'openat', hdr: hdr(30, 1, { retval: 3 }), payload: { dirfd: -100 }, strings: ['./passwd'] },
    {
      type: 'openat',
      hdr: hdr(30, 1, { retval: 4, flags: 16 }),
      payload: { dirfd: 7 },
      strings: ['../shadow', '/var/lib'],
    },
    { type: 'chdir', hdr: hdr(30, 1, { retval: -2 }), payload: {}, strings: ['/nonexistent'] },
    { type: 'unlinkat', hdr: hdr(30, 1), payload: { dirfd: -100, flags: 0x200 }, strings: ['x/../y'] },
    {
      type: 'renameat2',
      hdr: hdr(30, 1),
      payload: { dirfd: -100, flags: 1 },
      strings: ['a', '', '/tmp/b'],
    },
  ]);
  assert.equal(evs[0].proc.cwd, '/root');
  assert.equal(evs[2].fd?.name, '/etc/passwd');
  assert.equal(evs[2].fd?.nameraw, './passwd');
  assert.equal(evs[2].proc.cwd, '/etc');
  assert.equal(evs[3].fd?.name, '/var/shadow');
  assert.equal(evs[5].proc.cwd, '/etc', 'a failed chdir changes nothing');
  assert.equal(evs[5].fd?.name, '/etc/y');
  assert.equal(evs[5].args.flags, 'AT_REMOVEDIR');
  assert.equal(evs[6].fd?.name, '/etc/a');
  assert.equal(evs[6].fd2?.name, '/tmp/b');
  assert.equal(evs[6].args.flags, 'RENAME_NOREPLACE');
});

test('connect and accept: tuples as Falco names them', () => {
  const { run } = setup();
  const [connect, accept] = run([
    {
      type: 'connect',
      hdr: hdr(40, 1, { retval: 0 }),
      payload: {
        fd: 5,
        domain: 2,
        type: 1,
        protocol: 6,
        local: ipv4Addr('127.0.0.1', 40000),
        remote: ipv4Addr('127.0.0.1', 8080),
      },
    },
    {
      type: 'accept4',
      hdr: hdr(41, 1, { retval: 6 }),
      payload: {
        fd: 3,
        domain: 2,
        type: 1,
        local: ipv4Addr('127.0.0.1', 8080),
        remote: ipv4Addr('127.0.0.1', 40000),
      },
    },
  ]);
  assert.equal(connect.fd?.name, '127.0.0.1:40000->127.0.0.1:8080');
  assert.equal(connect.fd?.type, 'ipv4');
  assert.equal(connect.fd?.l4proto, 'tcp');
  assert.equal(connect.fd?.rport, 8080);
  assert.equal(connect.fd?.is_server, false);
  assert.equal(connect.args.res, 0);
  assert.equal(accept.fd?.name, '127.0.0.1:40000->127.0.0.1:8080');
  assert.equal(accept.fd?.num, 6);
  assert.equal(accept.fd?.is_server, true);
});

test('dup2 of a socket onto stdout: fd is the socket, with fd.num = newfd', () => {
  const { run } = setup();
  const [ev] = run([
    {
      type: 'dup2',
      hdr: hdr(50, 1, { retval: 1 }),
      payload: {
        oldfd: 3,
        newfd: 1,
        kind: 3,
        sock_type: 1,
        protocol: 6,
        local: ipv4Addr('127.0.0.1', 40001),
        remote: ipv4Addr('127.0.0.1', 9999),
      },
    },
  ]);
  assert.equal(ev.fd?.num, 1);
  assert.equal(ev.fd?.type, 'ipv4');
  assert.equal(ev.fd?.name, '127.0.0.1:40001->127.0.0.1:9999');
  assert.equal(ev.args.oldfd, 3);
});

test('setuid, ptrace, memfd_create, finit_module with their arguments', () => {
  const { run } = setup();
  const [setuid, ptrace, memfd, finit] = run([
    {
      type: 'setuid',
      hdr: hdr(60, 1, { uid: 1000, euid: 1000 }),
      payload: { id: [1000, 0xffffffff, 0xffffffff] },
    },
    { type: 'ptrace', hdr: hdr(61, 1), payload: { arg: [16, 60, 0, 0] } },
    {
      type: 'memfd_create',
      hdr: hdr(62, 1, { retval: 3 }),
      payload: { arg: [1, 0, 0, 0] },
      strings: ['payload'],
    },
    {
      type: 'finit_module',
      hdr: hdr(63, 1, { retval: -1 }),
      payload: { arg: [3, 0, 0, 0] },
      strings: ['', '/tmp/evil.ko'],
    },
  ]);
  assert.equal(setuid.args.uid, 1000);
  assert.equal(setuid.user.name, 'alice');
  assert.equal(setuid.proc.uid, 1000);
  assert.equal(ptrace.args.request, 'PTRACE_ATTACH');
  assert.equal(ptrace.args.pid, 60);
  assert.equal(memfd.args.name, 'payload');
  assert.equal(memfd.args.flags, 'MFD_CLOEXEC');
  assert.equal(finit.fd?.name, '/tmp/evil.ko');
  assert.equal(finit.args.res, 'EPERM');
});

test('unwanted events are not delivered, but process records still update the table', () => {
  const { run, table } = setup();
  const want = new Uint8Array(128);
  want[WIRE_VALUE_BY_TYPE.get('openat')!] = 1;
  const evs = run(
    [
      execSpec(70, 1, '/usr/bin/python3', ['python3', '-c', 'pass']),
      { type: 'openat', hdr: hdr(70, 1, { retval: 3 }), payload: {}, strings: ['/etc/hosts'] },
      { type: 'unlink', hdr: hdr(70, 1), payload: {}, strings: ['/etc/hosts'] },
      { type: 'procexit', hdr: hdr(70, 1), payload: { exit_code: 256 } },
    ],
    want,
  );
  assert.deepEqual(
    evs.map((e) => e.type),
    ['openat'],
  );
  assert.equal(evs[0].proc.exe, '/usr/bin/python3');
  assert.ok(table.get(70)!.exitedAt > 0);
});

test('procexit: status split into code and signal', () => {
  const { run } = setup();
  const [exit] = run([{ type: 'procexit', hdr: hdr(80, 1), payload: { exit_code: (3 << 8) | 0 } }]);
  assert.equal(exit.args.ret, 3);
  assert.equal(exit.args.sig, '0');
  const [killed] = run([{ type: 'procexit', hdr: hdr(81, 1), payload: { exit_code: 9 } }]);
  assert.equal(killed.args.sig, 'SIGKILL', 'named as Falco renders it');
  assert.equal(killed.rawargs.sig, 9);
});

test('a batch with broken framing stops at the break; unknown types are counted', () => {
  const { dec } = setup();
  const good = buildRecord({ type: 'openat', hdr: hdr(90, 1), payload: {}, strings: ['/x'] });
  const batch = frame([good, good]);
  const out: VigilEvent[] = [];
  assert.equal(dec.decodeBatch(batch.subarray(0, batch.length - 16), out), 1);
  assert.equal(out.length, 1);
  assert.equal(dec.malformed, 1);
  const bad = Buffer.from(good);
  bad.writeUInt16LE(127, 28);
  dec.decodeBatch(frame([bad]), out);
  assert.equal(dec.malformed, 2);
});

test('IPv6 text form', () => {
  const a = (hex: string) => Buffer.from(hex, 'hex');
  assert.equal(ipv6(a('00000000000000000000000000000001'), 0), '::1');
  assert.equal(ipv6(a('20010db8000000000001000000000001'), 0), '2001:db8::1:0:0:1');
  assert.equal(ipv6(a('00000000000000000000ffff7f000001'), 0), '::ffff:127.0.0.1');
  assert.equal(ipv6(a('fe800000000000000000000000000000'), 0), 'fe80::');
});

test("every event type's evt.arg names are its row's in the event table, in order", () => {
  const { run } = setup();
  for (const row of EVENT_ROWS) {
    // bpf: BPF_PROG_LOAD adds prog_type, an object named adds target_kind and target_id; prctl: a
    // name adds arg2_str. Other payloads: zeros.
    const payload: RecordSpec['payload'] = row.type === 'bpf' ? { arg: [5, 1, 7, 1] } : {};
    const strings = row.type === 'prctl' ? ['name'] : row.family === 'exec' ? ['/bin/x', 'x'] : [];
    const [ev] = run([{ type: row.type, hdr: hdr(95, 1), payload, strings }]);
    assert.equal(ev?.type, row.type);
    assert.deepEqual(Object.keys(ev.args), row.args, row.type);
  }
});

test('bpf: the object a call names is in evt.arg.target_kind/target_id; not the agent: no target', () => {
  const { run } = setup();
  // BPF_MAP_UPDATE_ELEM of map 424242, which this (unprivileged, BPF-free) test process does not hold.
  const [ev] = run([{ type: 'bpf', hdr: hdr(96, 1), payload: { arg: [2, 0, 424242, 1] }, strings: [] }]);
  assert.equal(ev.args.cmd, 'BPF_MAP_UPDATE_ELEM');
  assert.equal(ev.args.target_kind, 'map');
  assert.equal(ev.args.target_id, 424242);
  assert.equal(ev.rawargs.target_kind, 1);
  assert.equal(ev.target, undefined);
  // No object named (a kind of 0): neither argument.
  const [plain] = run([{ type: 'bpf', hdr: hdr(96, 1), payload: { arg: [12, 0, 0, 0] }, strings: [] }]);
  assert.deepEqual(Object.keys(plain.args), ['cmd', 'res']);
});
