/** Live: the defense-evasion rules of rules/45-evasion-extra.yaml, each attack and its benign twin. */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { asNobody, atRealPath, bash, PY, py, rand, ruleRunner, scratch, toolCopy } from './support.js';

const dir = scratch('evasion-extra');
after(() => rmSync(dir, { recursive: true, force: true }));
const TOUCH = '/usr/bin/touch';
const ENV = '/usr/bin/env';
const TRUE = '/usr/bin/true';

test('Timestamps of a system program changed', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await atRealPath(`/usr/local/bin/vigil-test-${rand()}`, async (p) => {
    writeFileSync(p, '#!/bin/sh\n');
    await r.fires('Timestamps of a system program changed', [TOUCH, '-d', '2011-03-04 05:06:07', p], {
      'fd.name': p,
      'evt.arg.mtime': '2011-03-04T05:06:07.000Z',
    });
    await r.silent('Timestamps of a system program changed', [TOUCH, p]);
  });
});

test('Timestamps of a log file changed', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await atRealPath(`/var/log/vigil-test-${rand()}.log`, async (p) => {
    writeFileSync(p, 'a line\n');
    await r.fires('Timestamps of a log file changed', [TOUCH, '-r', '/etc/hostname', p], { 'fd.name': p });
    await r.silent('Timestamps of a log file changed', [TOUCH, p]);
  });
});

test('Timestamps copied or forged with touch', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const f = join(dir, 'implant');
  await r.fires('Timestamps copied or forged with touch', [TOUCH, '-r', '/usr/bin/ls', f]);
  await r.silent('Timestamps copied or forged with touch', [TOUCH, '-c', f]);
});

test('Program run with a library path in a writable directory', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const rule = 'Program run with a library path in a writable directory';
  await r.fires(rule, [ENV, `LD_LIBRARY_PATH=/usr/lib:/dev/shm/.x${rand()}`, TRUE], {
    'proc.exepath': TRUE,
  });
  await r.silent(rule, [ENV, 'LD_LIBRARY_PATH=/usr/local/lib:/opt/app/lib', TRUE]);
});

test('Program run with a loader audit library', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires('Program run with a loader audit library', [ENV, `LD_AUDIT=${join(dir, 'audit.so')}`, TRUE], {
    'proc.env[LD_AUDIT]': join(dir, 'audit.so'),
  });
  await r.silent('Program run with a loader audit library', [ENV, 'LD_BIND_NOW=1', TRUE]);
});

test('Program started through the dynamic loader', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires('Program started through the dynamic loader', ['/lib64/ld-linux-x86-64.so.2', TRUE], {
    'proc.exepath': '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
  });
  await r.silent('Program started through the dynamic loader', ['/usr/bin/ldd', TRUE]);
});

/** setxattr(path, name, a vfs_cap_data v2 value granting the capability bit `cap`) from Python. */
const setCaps = (path: string, cap: number): string[] =>
  py(
    `import os, struct\nopen('${path}', 'a').close()\n` +
      `os.setxattr('${path}', 'security.capability', struct.pack('<5I', 0x02000001, 1 << ${cap}, 0, 0, 0))`,
  );

test('File capabilities written through setxattr', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const f = join(dir, `cap-${rand()}`);
  await r.fires('File capabilities written through setxattr', setCaps(f, 10), {
    'fd.name': f,
    'evt.arg.caps': 'CAP_NET_BIND_SERVICE',
  });
  await r.silent(
    'File capabilities written through setxattr',
    py(`import os\nos.setxattr('${f}', 'user.note', b'x')`),
  );
});

test('Dangerous file capability granted', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const f = join(dir, `cap-${rand()}`);
  await r.fires('Dangerous file capability granted', setCaps(f, 7), { 'evt.arg.caps': 'CAP_SETUID' });
  await r.silent('Dangerous file capability granted', setCaps(f, 10));
});

test('Process argv[0] disguised as a kernel thread', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires('Process argv[0] disguised as a kernel thread', bash(`exec -a '[kworker/0:2]' ${TRUE}`), {
    'proc.exe': '[kworker/0:2]',
  });
  await r.silent('Process argv[0] disguised as a kernel thread', bash(`exec -a worker ${TRUE}`));
});

test('System program name run from an unusual place', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const fake = toolCopy(dir, 'sshd');
  await r.fires('System program name run from an unusual place', [fake, '-D'], { 'proc.exepath': fake });
  await r.silent('System program name run from an unusual place', [toolCopy(dir, 'appd')]);
});

test('File named like a system program written to a temp directory', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const rule = 'File named like a system program written to a temp directory';
  await r.fires(rule, ['/usr/bin/cp', TRUE, join(dir, 'kworker')], { 'fd.name': join(dir, 'kworker') });
  await r.silent(rule, ['/usr/bin/cp', TRUE, join(dir, 'notes')]);
});

test('System utility opened a network connection', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const connect = `import socket\ntry:\n  socket.create_connection(('127.0.0.1', 9), 2)\nexcept OSError:\n  pass`;
  const fake = toolCopy(dir, 'sleep', PY);
  await r.fires('System utility opened a network connection', [fake, '-c', connect], {
    'proc.name': 'sleep',
    'fd.name': /127\.0\.0\.1:9$/,
  });
  await r.silent('System utility opened a network connection', [
    toolCopy(dir, 'netclient', PY),
    '-c',
    connect,
  ]);
});

test('Audit rules deleted or auditing disabled', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await atRealPath('/usr/sbin/auditctl', async (p) => {
    toolCopy('/usr/sbin', 'auditctl');
    await r.fires('Audit rules deleted or auditing disabled', [p, '-D'], { 'proc.cmdline': 'auditctl -D' });
    await r.silent('Audit rules deleted or auditing disabled', [p, '-l']);
  });
});

test('Kernel log buffer cleared', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  // As nobody: the kernel refuses, the attempt is what the rule sees.
  await r.fires('Kernel log buffer cleared', asNobody('/usr/bin/dmesg', '-C'), {
    'proc.cmdline': 'dmesg -C',
  });
  await r.silent('Kernel log buffer cleared', asNobody('/usr/bin/dmesg', '--help'));
});

test('Journal files vacuumed by hand', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  // As nobody: no journal file of the system's can go.
  await r.fires('Journal files vacuumed by hand', asNobody('/usr/bin/journalctl', '--vacuum-time=1s'));
  await r.silent('Journal files vacuumed by hand', asNobody('/usr/bin/journalctl', '--disk-usage'));
});
