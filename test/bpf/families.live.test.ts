// Every traced syscall once (test/bpf/syscalls.c), and what the kernel side recorded for each:
// the arguments, the strings, the paths walked from dentries, the socket ends.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

import type { EventType } from '../../src/event/types.js';
import { HDR_F_RELATIVE, LAYOUT } from '../../src/kernel/layout.js';
import { requireLive } from '../support/live.js';
import {
  HDR_SIZE,
  ipv4End,
  payloadI32,
  payloadU16,
  payloadU32,
  payloadU64,
  type RawRecord,
} from './records.js';
import { repoFile, startSensors, typeValue } from './support.js';

const run = promisify(execFile);
const FI = LAYOUT.vg_file.fields;
const PO = LAYOUT.vg_proc_op.fields;
const CR = LAYOUT.vg_cred.fields;
const NE = LAYOUT.vg_net.fields;
const DU = LAYOUT.vg_dup.fields;
const FK = LAYOUT.vg_fork.fields;

// UAPI values the helper passes.
const O_CLOEXEC = 0o2000000;
const CLONE_NEWUTS = 0x04000000;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_REMOVEDIR = 0x200;

test('each traced syscall is recorded with its arguments, paths and result', async (t) => {
  if (!requireLive(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bpf-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const helper = join(dir, 'vg-syscalls');
  await run('clang', ['-O1', '-o', helper, repoFile('test', 'bpf', 'syscalls.c')]);
  const work = join(dir, 'work');
  await run('mkdir', [work]);

  const { object, records, refused } = await startSensors(t);
  assert.deepEqual(refused, []);
  // evt.buffer: recvfrom's data, at most 5 bytes (src/plan/capture.ts writes this map for the rules).
  const snapKey = Buffer.alloc(4);
  snapKey.writeUInt32LE(typeValue('recvfrom'));
  object.mapUpdate('vg_snaplen', snapKey, Buffer.from([5, 0, 0, 0]));
  const child = run(helper, [work]);
  const pid = child.child.pid!;
  const tracee = Number((await child).stdout.trim());
  await object.stopRingBuffer();

  const mine = records.filter((r) => r.pid === pid);
  const one = (type: EventType, pred: (r: RawRecord) => boolean = () => true): RawRecord => {
    const found = mine.filter((r) => r.type === typeValue(type) && pred(r));
    assert.equal(found.length, 1, `${type}: ${found.length} records`);
    return found[0]!;
  };
  const arg = (r: RawRecord, i: number) => payloadU64(r, PO.arg + 8 * i);
  const relative = (r: RawRecord, path: string) => {
    assert.equal(r.strings[0], path);
    assert.equal(r.strings[1], work, `${path}: dirpath`);
    assert.equal(r.flags & HDR_F_RELATIVE, HDR_F_RELATIVE);
  };
  // A successful open: the path as passed and the real path of the file opened, no dirpath walk.
  const opened = (r: RawRecord, path: string) => {
    assert.equal(r.strings[0], path);
    assert.equal(r.strings[1], '', `${path}: no dirpath`);
    assert.equal(r.strings[5], `${work}/${path}`, `${path}: real path`);
  };

  // files
  const mkdirat = one('mkdirat');
  relative(mkdirat, 'sub');
  assert.equal(payloadU32(mkdirat, FI.mode), 0o750);
  const created = one('openat', (r) => r.strings[0] === 'sub/f');
  opened(created, 'sub/f');
  assert.equal(payloadU32(created, FI.flags), 0o101);
  assert.equal(payloadU32(created, FI.mode), 0o640);
  assert.ok(payloadU64(created, FI.ino) > 0n);
  const fd = payloadI32(created, FI.fd);
  assert.equal(BigInt(fd), created.retval);
  const fchmod = one('fchmod');
  assert.equal(fchmod.strings[0], `${work}/sub/f`);
  assert.equal(payloadI32(fchmod, FI.fd), fd);
  assert.equal(payloadU32(fchmod, FI.mode), 0o600);
  assert.equal(one('fchown').strings[0], `${work}/sub/f`);
  assert.equal(payloadU64(one('ftruncate'), FI.length), 7n);
  const renameat2 = one('renameat2');
  relative(renameat2, 'sub/f');
  assert.deepEqual(renameat2.strings.slice(2, 4), ['sub/g', work]);
  assert.equal(payloadU32(renameat2, FI.flags), 1);
  assert.deepEqual(one('linkat').strings.slice(0, 4), ['sub/g', work, 'sub/h', work]);
  const symlinkat = one('symlinkat');
  assert.deepEqual(symlinkat.strings.slice(0, 4), ['g', '', 'sub/l', work], 'the target is not resolved');
  assert.equal(payloadU32(one('fchownat'), FI.flags), AT_SYMLINK_NOFOLLOW);
  assert.equal(payloadU32(one('fchmodat'), FI.mode), 0o644);
  const truncate = one('truncate');
  relative(truncate, 'sub/g');
  assert.equal(payloadU64(truncate, FI.length), 3n);
  const utimensat = one('utimensat', (r) => r.strings[0] === 'sub/g');
  relative(utimensat, 'sub/g');
  assert.equal(payloadU32(utimensat, FI.mode), 1, 'times given');
  assert.deepEqual(
    [payloadU64(utimensat, FI.length), payloadU32(utimensat, FI.uid), payloadU64(utimensat, FI.ino)],
    [1000000000n, 5, 1200000000n],
  );
  assert.equal(payloadU32(utimensat, FI.gid), 7);
  const futimens = one('utimensat', (r) => r.strings[0] !== 'sub/g');
  assert.equal(futimens.strings[0], `${work}/sub/g`, 'walked from the fd');
  assert.equal(payloadU32(futimens, FI.mode), 0, 'NULL times');
  const utimes = one('utimes');
  assert.equal(payloadU64(utimes, FI.ino), 1400000000n);
  assert.equal(payloadU32(utimes, FI.gid), 4000, 'microseconds as nanoseconds');
  const setxattr = one('setxattr');
  relative(setxattr, 'sub/g');
  assert.equal(setxattr.strings[4], 'security.capability');
  assert.equal(payloadU64(setxattr, FI.length), 20n);
  assert.equal(payloadU64(setxattr, FI.ino), (1n << 7n) | (1n << 21n) | (1n << 32n));
  const lsetxattr = one('lsetxattr');
  assert.equal(lsetxattr.strings[4], 'user.vigil');
  assert.equal(payloadU32(lsetxattr, FI.flags), 1, 'XATTR_CREATE');
  const fsetxattr = one('fsetxattr');
  assert.equal(fsetxattr.strings[0], `${work}/sub/g`);
  assert.equal(fsetxattr.strings[4], 'user.vigil-fd');
  const mknodat = one('mknodat');
  relative(mknodat, 'sub/fifo');
  assert.equal(payloadU32(mknodat, FI.mode), 0o10600);
  const mknod = one('mknod');
  relative(mknod, 'sub/null');
  assert.equal(payloadU32(mknod, FI.mode), 0o20600);
  assert.equal(payloadU32(mknod, FI.dev), (1 << 8) | 3, 'makedev(1, 3)');
  const openat2 = one('openat2');
  opened(openat2, 'sub/g');
  assert.ok(openat2.retval >= 0n);
  assert.equal(payloadU64(openat2, FI.ino), payloadU64(created, FI.ino), 'same inode after the rename');
  const creat = one('creat');
  opened(creat, 'c');
  assert.equal(payloadU32(creat, FI.flags), 0o1101);
  assert.equal(payloadU32(creat, FI.mode), 0o600);
  assert.equal(
    payloadU32(
      one('unlinkat', (r) => r.strings[0] === 'sub'),
      FI.flags,
    ),
    AT_REMOVEDIR,
  );
  relative(one('unlink'), 'sub/h');

  // credentials
  const setuid = one('setuid');
  assert.equal(payloadU32(setuid, CR.id), 0);
  assert.equal(setuid.retval, 0n);
  const setresgid = one('setresgid');
  assert.deepEqual(
    [0, 1, 2].map((i) => payloadI32(setresgid, CR.id + 4 * i)),
    [-1, -1, -1],
  );
  const capset = one('capset');
  assert.equal(payloadU32(capset, CR.id + 4), 0x20080522);
  assert.ok(payloadU64(capset, CR.cap_effective) > 0n);

  // process
  const memfd = one('memfd_create');
  assert.equal(memfd.strings[0], 'vigil-test');
  assert.equal(arg(memfd, 0), 1n);
  const finit = one('finit_module');
  assert.equal(arg(finit, 0), memfd.retval);
  assert.deepEqual(finit.strings, ['vigil=1', '/memfd:vigil-test']);
  const init = one('init_module');
  assert.equal(arg(init, 0), 4n);
  assert.equal(init.strings[0], 'vigil=2');
  const prctl = one('prctl');
  assert.equal(arg(prctl, 0), 15n);
  assert.equal(prctl.strings[0], 'vg-renamed');
  for (const type of ['process_vm_readv', 'process_vm_writev'] as const) {
    const vm = one(type);
    assert.deepEqual([arg(vm, 0), arg(vm, 1), arg(vm, 2)], [BigInt(pid), 1n, 1n], type);
    assert.equal(vm.retval, 8n, `${type}: bytes copied`);
  }
  assert.equal(one('unshare', (r) => arg(r, 0) === BigInt(CLONE_NEWUTS)).retval, 0n);
  const setns = one('setns');
  assert.equal(arg(setns, 1), BigInt(CLONE_NEWUTS));
  assert.ok(arg(setns, 2) > 0n, 'the namespace inode');
  assert.equal(setns.strings[0], '', 'a namespace file has no path');
  assert.equal(arg(one('userfaultfd'), 0), BigInt(O_CLOEXEC));
  const bpf = one('bpf');
  assert.deepEqual([arg(bpf, 0), arg(bpf, 1)], [5n, 1n], 'BPF_PROG_LOAD of a socket filter');
  const fork = one('clone');
  assert.equal(payloadU32(fork, FK.child_pid), tracee);
  const attach = one('ptrace', (r) => arg(r, 0) === 16n);
  assert.equal(arg(attach, 1), BigInt(tracee));
  const killed = records.find((r) => r.pid === tracee && r.type === typeValue('procexit'));
  assert.equal(payloadI32(killed!, LAYOUT.vg_exit.fields.exit_code), 9, 'killed by SIGKILL');
  assert.equal(one('chdir', (r) => arg(r, 0) === 0n).strings[0], work);
  const fchdir = one('chdir', (r) => arg(r, 0) !== 0n);
  assert.equal(fchdir.strings[0], work);

  // network
  const sock = `${work}/sock`;
  const bind = one('bind');
  assert.equal(payloadU32(bind, NE.domain), 1);
  assert.equal(bind.strings[0], sock);
  const listen = one('listen');
  assert.equal(payloadU32(listen, NE.backlog), 7);
  assert.equal(listen.strings[0], sock);
  assert.equal(one('connect', (r) => payloadU32(r, NE.domain) === 1).strings[0], sock);
  const connectRefused = one('connect', (r) => payloadU32(r, NE.domain) === 2);
  assert.equal(connectRefused.retval, -111n, 'ECONNREFUSED');
  assert.equal(ipv4End(connectRefused, NE.remote), '2/127.0.0.1:1', 'the address the process asked for');
  const accept4 = one('accept4');
  assert.ok(accept4.retval >= 0n);
  assert.equal(payloadU32(accept4, NE.flags), 0o2000000);
  assert.equal(accept4.strings[0], sock);
  const sendto = one('sendto', (r) => payloadU32(r, NE.domain) === 2);
  assert.equal(payloadU32(sendto, NE.protocol), 17);
  assert.equal(ipv4End(sendto, NE.remote), '2/127.0.0.1:9');
  const recvfrom = one('recvfrom');
  assert.equal(payloadU32(recvfrom, NE.domain), 1);
  assert.equal(recvfrom.retval, 10n);
  assert.deepEqual(
    recvfrom.strings.slice(0, 2),
    ['', 'vigil'],
    'no unix path; the first 5 bytes of the data',
  );
  assert.equal(sendto.strings[1], '', 'sendto: no data copied without a snap length');
  const sendto6 = one('sendto', (r) => payloadU32(r, NE.domain) === 10);
  const remote6 = sendto6.buf.subarray(HDR_SIZE + NE.remote, HDR_SIZE + NE.remote + LAYOUT.vg_sockaddr.size);
  assert.equal(remote6.toString('hex', 0, 16), '00000000000000000000000000000001', '::1');
  assert.equal(remote6.readUInt16LE(LAYOUT.vg_sockaddr.fields.family), 10);
  assert.equal(remote6.readUInt16LE(LAYOUT.vg_sockaddr.fields.port), 9);
  const dup3 = one('dup3');
  assert.equal(payloadI32(dup3, DU.oldfd), payloadI32(sendto, NE.fd));
  assert.equal(payloadI32(dup3, DU.newfd), 40);
  assert.equal(payloadU32(dup3, DU.flags), O_CLOEXEC);
  assert.equal(payloadU16(dup3, DU.kind), 3, 'VG_FD_IPV4');
  assert.equal(payloadU16(dup3, DU.sock_type), 2, 'SOCK_DGRAM');

  // mounts (in the helper's own mount namespace)
  const mount = one('mount', (r) => r.strings[0] === 'vigil-src');
  assert.deepEqual(mount.strings, ['vigil-src', '', 'mnt', work, 'tmpfs', '']);
  assert.equal(payloadU32(mount, FI.flags), 2, 'MS_NOSUID');
  const umount = one('umount2');
  relative(umount, 'mnt');
  assert.equal(payloadU32(umount, FI.flags), 2, 'MNT_DETACH');
  assert.notEqual(umount.mntNs, mkdirat.mntNs, 'the header follows the new mount namespace');

  assert.equal(mine.filter((r) => r.size !== r.buf.length).length, 0);
});
