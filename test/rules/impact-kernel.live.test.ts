/**
 * Live: the rules of rules/85-impact.yaml and rules/95-kernel-and-devices.yaml, each attack and its
 * benign twin. Destructive tools are pointed at scratch files or at device paths that do not exist.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { atRealPath, perl, py, rand, ruleRunner, scratch, sh } from './support.js';

const dir = scratch('impact');
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string): string {
  const p = join(dir, name);
  writeFileSync(p, 'precious data\n');
  return p;
}

test('File shredding tool run', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires('File shredding tool run', ['/usr/bin/shred', '-u', file('a')], {
    'proc.cmdline': /^shred -u /,
  });
  await r.silent('File shredding tool run', ['/usr/bin/rm', file('b')]);
});

test('Raw write to a disk device with dd', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  // A disk path that does not exist: dd fails to open it, nothing is written anywhere.
  const dd = (of: string): string[] => ['/usr/bin/dd', 'if=/dev/null', `of=${of}`, 'count=0'];
  await r.fires('Raw write to a disk device with dd', dd(`/dev/disk/vigil-test-${rand()}/part1`));
  await r.silent('Raw write to a disk device with dd', dd(join(dir, 'image.img')));
});

test('Disk wiping or formatting tool run', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  // --no-act on a scratch file: wipefs reports what it would erase and erases nothing.
  await r.fires('Disk wiping or formatting tool run', ['/usr/sbin/wipefs', '--no-act', file('disk.img')], {
    'proc.exepath': '/usr/sbin/wipefs',
  });
  await r.silent('Disk wiping or formatting tool run', ['/usr/bin/lsblk']);
});

test('Files encrypted on the command line', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const f = file('doc');
  const openssl = (...args: string[]): string[] => ['/usr/bin/openssl', ...args];
  await r.fires(
    'Files encrypted on the command line',
    openssl('enc', '-aes-256-cbc', '-pbkdf2', '-pass', 'pass:x', '-in', f, '-out', `${f}.locked`),
  );
  await r.silent('Files encrypted on the command line', openssl('dgst', '-sha256', f));
});

test('Service disabled or masked', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  // A unit that does not exist: systemctl refuses, nothing changes.
  const unit = `vigil-test-${rand()}.service`;
  await r.fires('Service disabled or masked', ['/usr/bin/systemctl', 'disable', unit], {
    'proc.cmdline': `systemctl disable ${unit}`,
  });
  await r.silent('Service disabled or masked', ['/usr/bin/systemctl', 'is-enabled', unit]);
});

test('Directory created below a binary or library directory', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const d = `/usr/lib/vigil-test-${rand()}`;
  try {
    await r.fires('Directory created below a binary or library directory', ['/usr/bin/mkdir', d], {
      'fd.name': d,
    });
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
  await r.silent('Directory created below a binary or library directory', [
    '/usr/bin/mkdir',
    join(dir, 'lib'),
  ]);
});

test('Device node created outside the device manager', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires(
    'Device node created outside the device manager',
    ['/usr/bin/mknod', join(dir, 'mem'), 'c', '1', '1'],
    {
      'evt.arg.mode': /^S_IFCHR/,
      'evt.arg.dev': /^257$/, // makedev(1, 1)
    },
  );
  await r.silent('Device node created outside the device manager', ['/usr/bin/mkfifo', join(dir, 'fifo')]);
});

test('File created below /dev', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const p = `/dev/.vigil-test-${rand()}`;
  try {
    await r.fires('File created below /dev', sh(`echo payload > ${p}`), { 'fd.name': p });
  } finally {
    rmSync(p, { force: true });
  }
  await r.silent('File created below /dev', sh('echo discarded > /dev/null'));
});

test('Kernel tracing or debug interface written', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  // Opened for writing and closed: nothing is written to the trace buffer.
  const marker = '/sys/kernel/tracing/trace_marker';
  await r.fires(
    'Kernel tracing or debug interface written',
    py(`import os\nos.close(os.open('${marker}', os.O_WRONLY))`),
    {
      'fd.name': marker,
    },
  );
  await r.silent('Kernel tracing or debug interface written', [
    '/usr/bin/cat',
    '/sys/kernel/tracing/available_tracers',
  ]);
});

/** bpf(cmd, attr, size) with a zeroed attr: refused (no such fd), the call is what the rules see. */
const bpfCall = (cmd: number): string[] => perl(`my $attr = "\\0" x 128; syscall(321, ${cmd}, $attr, 128);`);

test('BPF object pinned', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires('BPF object pinned', bpfCall(6), { 'proc.name': 'perl' });
  await r.silent('BPF object pinned', bpfCall(7)); // BPF_OBJ_GET
});

test('BPF program attached', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires('BPF program attached', bpfCall(28), { 'evt.arg.cmd': 'BPF_LINK_CREATE' });
  await r.silent('BPF program attached', bpfCall(14)); // BPF_MAP_GET_FD_BY_ID
});

test('Kernel hardening setting changed', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  // Opened for writing and closed without a write: the setting keeps its value.
  const knob = '/proc/sys/kernel/dmesg_restrict';
  await r.fires(
    'Kernel hardening setting changed',
    py(`import os\nos.close(os.open('${knob}', os.O_WRONLY))`),
    {
      'fd.name': knob,
    },
  );
  await r.silent('Kernel hardening setting changed', ['/usr/bin/cat', knob]);
});

test('Kernel module file written outside a package manager', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await atRealPath(`/usr/lib/modules/vigil-test-${rand()}/extra/rootkit.ko`, async (p) => {
    await r.fires('Kernel module file written outside a package manager', sh(`echo x > ${p}`), {
      'fd.name': p,
    });
  });
  await r.silent(
    'Kernel module file written outside a package manager',
    sh(`echo x > ${join(dir, 'module.ko')}`),
  );
});
