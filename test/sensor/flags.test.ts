/**
 * flags.ts: the constant tables against this machine's C headers (a small C
 * program prints each constant the headers define), and the renderings Falco
 * users expect.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as F from '../../src/sensor/flags.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-flags-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Table = readonly (readonly [string, number])[];

/** Values of the table's names as the headers define them (names a header lacks are left out). */
function headerValues(headers: string[], table: Table): Map<string, number> {
  const lines = [
    '#define _GNU_SOURCE',
    ...headers.map((h) => `#include <${h}>`),
    '#include <stdio.h>',
    'int main(void) {',
    ...table.map(
      ([name]) => `#ifdef ${name}\n  printf("%s %llu\\n", "${name}", (unsigned long long)(${name}));\n#endif`,
    ),
    '  return 0;',
    '}',
  ];
  const src = join(dir, 'c.c');
  const bin = join(dir, 'c');
  writeFileSync(src, lines.join('\n'));
  execFileSync('cc', ['-o', bin, src]);
  const out = execFileSync(bin, { encoding: 'utf8' });
  return new Map(
    out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [n, v] = l.split(' ');
        return [n, Number(v)];
      }),
  );
}

/** Names whose user-space header value differs from the kernel's on purpose. */
const KERNEL_ONLY = new Set([
  // glibc on 64-bit defines O_LARGEFILE as 0; the kernel's bit is 0o100000.
  'O_LARGEFILE',
]);

function checkTable(headers: string[], table: Table, minFound: number): void {
  const values = headerValues(headers, table);
  for (const n of KERNEL_ONLY) values.delete(n);
  assert.ok(values.size >= minFound, `${headers.join(',')}: only ${values.size} of the names found`);
  for (const [name, v] of table) {
    if (values.has(name)) assert.equal(v, values.get(name), `${name} in ${headers.join(',')}`);
  }
}

test('constant tables match the system headers', () => {
  checkTable(['errno.h'], F.ERRNO_NAMES, 90);
  checkTable(['fcntl.h'], F.OPEN_FLAGS, 17);
  checkTable(['fcntl.h'], F.AT_FLAGS, 4);
  checkTable(['linux/sched.h'], F.CLONE_FLAGS, 24);
  checkTable(['sys/socket.h'], F.SOCKET_FAMILIES, 40);
  checkTable(['sys/socket.h'], F.SOCKET_TYPES, 7);
  checkTable(['sys/socket.h'], F.SOCKET_FLAGS, 2);
  checkTable(['sys/socket.h'], F.SENDTO_FLAGS, 9);
  checkTable(['linux/prctl.h'], F.PRCTL_OPTIONS, 50);
  checkTable(['linux/ptrace.h'], F.PTRACE_REQUESTS, 35);
  checkTable(['linux/memfd.h'], F.MEMFD_FLAGS, 3);
  checkTable(['linux/module.h'], F.MODULE_INIT_FLAGS, 2);
  checkTable(['linux/mount.h'], F.MOUNT_FLAGS, 24);
  checkTable(['sys/mount.h'], F.UMOUNT_FLAGS, 4);
  checkTable(['linux/fs.h'], F.RENAME_FLAGS, 3);
});

test('open flags render as Falco shows them', () => {
  assert.equal(F.renderOpenFlags(0), 'O_RDONLY');
  assert.equal(F.renderOpenFlags(0o2000000), 'O_RDONLY|O_CLOEXEC');
  assert.equal(F.renderOpenFlags(0o1 | 0o100 | 0o1000), 'O_WRONLY|O_CREAT|O_TRUNC');
  assert.equal(F.renderOpenFlags(0o2 | 0o4010000), 'O_RDWR|O_SYNC');
  assert.equal(F.renderOpenFlags(0o20200002), 'O_RDWR|O_TMPFILE');
});

test('modes, results and enumerations', () => {
  assert.equal(F.renderMode(0o644), '0644');
  assert.equal(F.renderMode(0o100755), '0755');
  assert.equal(F.renderMode(0), '00');
  assert.equal(F.renderRes(0), 0);
  assert.equal(F.renderRes(3), 3);
  assert.equal(F.renderRes(-2), 'ENOENT');
  assert.equal(F.renderRes(-111), 'ECONNREFUSED');
  assert.equal(F.errnoName(-1), 'EPERM');
  assert.equal(F.renderPtraceRequest(16), 'PTRACE_ATTACH');
  assert.equal(F.renderPtraceRequest(0x4206), 'PTRACE_SEIZE');
  assert.equal(F.renderPtraceRequest(9999), '9999');
  assert.equal(F.renderSocketFamily(2), 'AF_INET');
  assert.equal(F.renderSocketFamily(10), 'AF_INET6');
  assert.equal(F.renderSocketType(1 | 0o2000000), 'SOCK_STREAM|SOCK_CLOEXEC');
  assert.equal(F.renderPrctlOption(15), 'PR_SET_NAME');
  assert.equal(F.renderBpfCommand(5), 'BPF_PROG_LOAD');
  assert.equal(F.renderBpfProgType(5), 'BPF_PROG_TYPE_TRACEPOINT');
});

test('clone and unshare flags', () => {
  assert.equal(F.renderCloneFlags(0x01200011), 'CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID');
  assert.equal(F.renderCloneFlags(0x10000000 | 0x20000), 'CLONE_NEWNS|CLONE_NEWUSER');
  assert.equal(F.renderCloneFlags(0x100000000), 'CLONE_CLEAR_SIGHAND');
  assert.equal(F.renderCloneFlags(0), '');
  assert.equal(F.renderFlags(F.MEMFD_FLAGS, 3), 'MFD_CLOEXEC|MFD_ALLOW_SEALING');
  assert.equal(F.renderFlags(F.MEMFD_FLAGS, 0x101), 'MFD_CLOEXEC|0x100');
  assert.equal(F.renderNsType(0x40000000), 'CLONE_NEWNET');
});

test('l4proto from protocol and socket type', () => {
  assert.equal(F.l4proto(6, 1), 'tcp');
  assert.equal(F.l4proto(0, 1), 'tcp');
  assert.equal(F.l4proto(0, 2 | 0o4000), 'udp');
  assert.equal(F.l4proto(1, 3), 'icmp');
  assert.equal(F.l4proto(255, 3), 'raw');
});
