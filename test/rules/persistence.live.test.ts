/** Live: every persistence rule fires on the real action and stays silent on its benign twin. */
import { existsSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { atRealPath, perl, py, rand, ruleRunner, scratch, sh, toolCopy } from './support.js';

const dir = scratch('persist');
after(() => rmSync(dir, { recursive: true, force: true }));

/** One write-a-file rule: the shell writes the real path (alert), then a file in the scratch dir (silence). */
async function writeRule(t: Parameters<typeof ruleRunner>[0], rule: string, real: string): Promise<void> {
  const r = await ruleRunner(t);
  if (!r) return;
  await atRealPath(real, async (p) => {
    await r.fires(rule, sh(`echo '# vigil rule test' > ${p}`), { 'fd.name': p, 'proc.name': 'sh' });
  });
  await r.silent(rule, sh(`echo '# vigil rule test' > ${join(dir, `benign-${rand()}`)}`));
}

test('Cron job created or modified', (t) =>
  writeRule(t, 'Cron job created or modified', `/etc/cron.d/vigil-test-${rand()}`));

test('Systemd unit created or modified', (t) =>
  writeRule(t, 'Systemd unit created or modified', `/etc/systemd/system/vigil-test-${rand()}.service`));

test('Shell profile modified', (t) =>
  writeRule(t, 'Shell profile modified', `/etc/profile.d/vigil-test-${rand()}.sh`));

test('SSH authorized keys or daemon configuration modified', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  mkdirSync(join(dir, '.ssh'), { recursive: true });
  const keys = join(dir, '.ssh/authorized_keys');
  await r.fires(
    'SSH authorized keys or daemon configuration modified',
    sh(`echo 'ssh-ed25519 AAAA x' >> ${keys}`),
    {
      'fd.name': keys,
    },
  );
  await r.silent(
    'SSH authorized keys or daemon configuration modified',
    sh(`echo x >> ${join(dir, '.ssh/known_hosts')}`),
  );
});

test('User account tool run', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const name = `vigilt${rand()}`;
  try {
    await r.fires(
      'User account tool run',
      ['/usr/sbin/useradd', '-M', '-N', '-r', '-s', '/usr/sbin/nologin', name],
      {
        'proc.name': 'useradd',
      },
    );
  } finally {
    spawnSync('/usr/sbin/userdel', [name]);
  }
  await r.silent('User account tool run', ['/usr/sbin/useradd', '--help']);
});

test('Account database written directly', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  // Opened for appending and closed without writing: the open is the signal, the file is unchanged.
  await r.fires('Account database written directly', py(`open('/etc/passwd', 'a').close()`), {
    'fd.name': '/etc/passwd',
  });
  await r.silent('Account database written directly', py(`open('/etc/passwd').close()`));
});

test('Dynamic linker preload file modified', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await atRealPath('/etc/ld.so.preload', async (p) => {
    await r.fires('Dynamic linker preload file modified', py(`open('${p}', 'a').close()`), { 'fd.name': p });
  });
  await r.silent(
    'Dynamic linker preload file modified',
    py(`open('${join(dir, 'ld.so.preload')}', 'a').close()`),
  );
});

test('Program run with LD_PRELOAD', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires(
    'Program run with LD_PRELOAD',
    ['/usr/bin/env', 'LD_PRELOAD=/nonexistent/libvigil.so', '/usr/bin/true'],
    {
      'proc.env[LD_PRELOAD]': '/nonexistent/libvigil.so',
      'proc.name': 'true',
    },
  );
  await r.silent('Program run with LD_PRELOAD', [
    '/usr/bin/env',
    'LD_LIBRARY_PATH=/nonexistent',
    '/usr/bin/true',
  ]);
});

test('Kernel module load attempted', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  // finit_module(fd of /dev/null): refused by the kernel either way; the attempt is the alert.
  await r.fires(
    'Kernel module load attempted',
    perl(`open(my $f, '<', '/dev/null'); my $a = ""; syscall(313, fileno($f), $a, 0);`),
    {
      'evt.type': 'finit_module',
      'proc.name': 'perl',
    },
  );
  await r.silent('Kernel module load attempted', perl(`syscall(39);`));
});

test('Kernel module tool run', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const modprobe = toolCopy(dir, 'modprobe');
  await r.fires('Kernel module tool run', [modprobe, 'vigil_test_module'], { 'proc.name': 'modprobe' });
  await r.silent('Kernel module tool run', [modprobe, '-r', 'vigil_test_module']);
});

test('Boot or logon script modified', (t) =>
  writeRule(t, 'Boot or logon script modified', `/etc/init.d/vigil-test-${rand()}`));

test('PAM configuration or module modified', (t) =>
  writeRule(t, 'PAM configuration or module modified', `/etc/pam.d/vigil-test-${rand()}`));

test('Udev rule written', (t) =>
  writeRule(
    t,
    'Udev rule written',
    // fd.name is the real path: /usr/lib/udev where /lib is a link to usr/lib (merged /usr).
    `${existsSync('/etc/udev') ? '/etc' : realpathSync('/lib')}/udev/rules.d/99-vigil-test-${rand()}.rules`,
  ));
