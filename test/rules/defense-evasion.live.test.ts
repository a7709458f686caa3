/** Live: every defense-evasion rule fires on the real action and stays silent on its benign twin. */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { atRealPath, perl, py, rand, ruleRunner, scratch, sh, toolCopy } from './support.js';

const dir = scratch('evasion');
after(() => rmSync(dir, { recursive: true, force: true }));

test('Log file cleared or deleted', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await atRealPath(`/var/log/vigil-test-${rand()}.log`, async (p) => {
    writeFileSync(p, 'a log line\n');
    await r.fires('Log file cleared or deleted', sh(`: > ${p}`), { 'fd.name': p, 'proc.name': 'sh' });
  });
  await r.silent('Log file cleared or deleted', sh(`: > ${join(dir, 'app.log')}`));
});

test('Shell history deleted or truncated', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const hist = join(dir, '.bash_history');
  const other = join(dir, 'history.txt');
  writeFileSync(hist, 'ls\n');
  writeFileSync(other, 'ls\n');
  await r.fires('Shell history deleted or truncated', ['/usr/bin/rm', '-f', hist], { 'fd.name': hist });
  await r.silent('Shell history deleted or truncated', ['/usr/bin/rm', '-f', other]);
});

test('Shell history disabled', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires(
    'Shell history disabled',
    ['/usr/bin/env', 'HISTFILE=/dev/null', '/usr/bin/bash', '-c', 'true'],
    {
      'proc.env[HISTFILE]': '/dev/null',
    },
  );
  await r.silent('Shell history disabled', [
    '/usr/bin/env',
    `HISTFILE=${join(dir, 'h')}`,
    '/usr/bin/bash',
    '-c',
    'true',
  ]);
});

test('Fileless execution from memory', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires(
    'Fileless execution from memory',
    py(
      `import os\nfd = os.memfd_create('payload', 0)\nos.write(fd, open('/usr/bin/true', 'rb').read())\n` +
        `os.execv('/proc/self/fd/%d' % fd, ['payload'])`,
    ),
    { 'proc.pname': 'node' },
  );
  await r.silent('Fileless execution from memory', py(`import os; os.execv('/usr/bin/true', ['true'])`));
});

test('Execution from /dev/shm', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await atRealPath(`/dev/shm/vigil-test-${rand()}`, async (p) => {
    toolCopy('/dev/shm', p.slice('/dev/shm/'.length));
    await r.fires('Execution from /dev/shm', [p], { 'proc.exepath': p });
  });
  await r.silent('Execution from /dev/shm', [toolCopy(dir, 'true')]);
});

test('Execution from a hidden temp directory', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  mkdirSync(join(dir, '.hidden'));
  mkdirSync(join(dir, 'visible'));
  const hidden = toolCopy(join(dir, '.hidden'), 'true');
  await r.fires('Execution from a hidden temp directory', [hidden], { 'proc.exepath': hidden });
  await r.silent('Execution from a hidden temp directory', [toolCopy(join(dir, 'visible'), 'true')]);
});

test('Executable bit set in a temp directory', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const payload = join(dir, `payload-${rand()}`);
  writeFileSync(payload, '#!/bin/sh\n');
  // From a shell, as a dropper does (`curl -o /tmp/x && chmod +x /tmp/x`).
  await r.fires('Executable bit set in a temp directory', sh(`chmod +x ${payload}`), {
    'fs.path.name': payload,
    'evt.arg.mode': '0755',
  });
  await r.silent('Executable bit set in a temp directory', sh(`chmod 0640 ${payload}`));
});

test('Running executable deleted', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const self = toolCopy(dir, `dropper-${rand()}`, '/usr/bin/perl');
  await r.fires('Running executable deleted', [self, '-e', 'unlink $^X or die "unlink: $!"'], {
    'fs.path.name': self,
  });
  const other = join(dir, 'other');
  writeFileSync(other, 'x');
  const perlCopy = toolCopy(dir, `dropper-${rand()}`, '/usr/bin/perl');
  await r.silent('Running executable deleted', [perlCopy, '-e', `unlink "${other}" or die "unlink: $!"`]);
});

/** bpf(cmd, attr, size) with a zeroed attr but for the program type: refused (no instructions). */
const bpfCall = (cmd: number): string[] =>
  perl(`my $attr = pack("L", 1) . ("\\0" x 124); syscall(321, ${cmd}, $attr, 128);`);

test('BPF program loaded', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires('BPF program loaded', bpfCall(5), { 'proc.name': 'perl' });
  await r.silent('BPF program loaded', bpfCall(0));
});

test('Security agent stopped or tampered with', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const unit = `vigil-test-${rand()}.service`;
  await r.fires('Security agent stopped or tampered with', ['/usr/bin/systemctl', 'stop', unit], {
    'proc.cmdline': `systemctl stop ${unit}`,
  });
  await r.silent('Security agent stopped or tampered with', ['/usr/bin/systemctl', 'status', unit]);
});

const prctlName = (name: string): string[] =>
  py(`import ctypes\nctypes.CDLL(None).prctl(15, ctypes.c_char_p(b'${name}'), 0, 0, 0)`);

test('Process name changed to masquerade', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires('Process name changed to masquerade', prctlName('[kworker/0:1]'), {
    'evt.arg.arg2_str': '[kworker/0:1]',
  });
  await r.silent('Process name changed to masquerade', prctlName('worker-1'));
});

test('Hidden directory created in a system or shared directory', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const hidden = `/dev/shm/.vigil-test-${rand()}`;
  const visible = `/dev/shm/vigil-test-${rand()}`;
  try {
    await r.fires('Hidden directory created in a system or shared directory', ['/usr/bin/mkdir', hidden], {
      'fd.name': hidden,
    });
    await r.silent('Hidden directory created in a system or shared directory', ['/usr/bin/mkdir', visible]);
  } finally {
    rmSync(hidden, { recursive: true, force: true });
    rmSync(visible, { recursive: true, force: true });
  }
});

test('Firewall rules flushed or disabled', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const iptables = toolCopy(dir, 'iptables');
  await r.fires('Firewall rules flushed or disabled', [iptables, '-F'], { 'proc.cmdline': 'iptables -F' });
  await r.silent('Firewall rules flushed or disabled', [iptables, '-L', '-n']);
});

test('Host security control disabled', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const setenforce = toolCopy(dir, 'setenforce');
  await r.fires('Host security control disabled', [setenforce, '0'], { 'proc.cmdline': 'setenforce 0' });
  await r.silent('Host security control disabled', [setenforce, '1']);
});
