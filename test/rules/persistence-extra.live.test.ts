/** Live: the persistence rules of rules/25-persistence-extra.yaml, each attack and its benign twin. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { asNobody, atRealPath, rand, ruleRunner, scratch, sh, toolCopy } from './support.js';

const dir = scratch('persist-extra');
after(() => rmSync(dir, { recursive: true, force: true }));
const write = (path: string): string[] => sh(`echo '# vigil test' > ${path}`);

/** Rules that watch a written file: the attack writes at a real system path, the twin in scratch. */
const WRITES: { rule: string; path: string; twin: string }[] = [
  {
    rule: 'Package manager hook written',
    path: `/etc/apt/apt.conf.d/99vigil-test-${rand()}`,
    twin: 'apt.conf',
  },
  {
    rule: 'Kernel module load configuration written',
    path: `/etc/modules-load.d/vigil-test-${rand()}.conf`,
    twin: 'modules.conf',
  },
  {
    rule: 'Dynamic linker search path configuration written',
    path: `/etc/ld.so.conf.d/vigil-test-${rand()}.conf`,
    twin: 'ld.so.conf',
  },
  {
    rule: 'Login message script written',
    path: `/etc/update-motd.d/99-vigil-test-${rand()}`,
    twin: '99-motd',
  },
  {
    rule: 'Desktop autostart entry written',
    path: `/etc/xdg/autostart/vigil-test-${rand()}.desktop`,
    twin: 'a.desktop',
  },
  { rule: 'Web shell written to a web root', path: `/var/www/vigil-test-${rand()}.php`, twin: 'shell.php' },
  { rule: 'SSH login script written', path: `/root/.ssh/rc`, twin: 'rc' },
  {
    rule: 'D-Bus service or policy file written',
    path: `/etc/dbus-1/system.d/vigil-test-${rand()}.conf`,
    twin: 'bus.conf',
  },
  { rule: 'Name service switch configuration modified', path: '/etc/nsswitch.conf', twin: 'nsswitch.conf' },
  {
    rule: 'Package repository or signing key added',
    path: `/etc/apt/sources.list.d/vigil-test-${rand()}.list`,
    twin: 'sources.list',
  },
];

for (const c of WRITES) {
  test(c.rule, async (t) => {
    const r = await ruleRunner(t);
    if (!r) return;
    await atRealPath(c.path, async (p) => {
      // Appending nothing to a file that exists (nsswitch.conf), writing a new one otherwise.
      const action = c.path === '/etc/nsswitch.conf' ? sh(`: >> ${p}`) : write(p);
      await r.fires(c.rule, action, { 'fd.name': p });
    });
    await r.silent(c.rule, write(join(dir, c.twin)));
  });
}

test('At job scheduled', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await atRealPath('/usr/bin/at', async (p) => {
    toolCopy('/usr/bin', 'at');
    await r.fires('At job scheduled', [p, 'now', '+', '1', 'hour'], { 'proc.cmdline': 'at now + 1 hour' });
  });
  await r.silent('At job scheduled', [toolCopy(dir, 'at'), 'now']);
});

test('Timer scheduled with systemd-run', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  // As nobody with --user and no user manager: refused, nothing is scheduled.
  const run = (...args: string[]): string[] => asNobody('/usr/bin/systemd-run', ...args);
  await r.fires('Timer scheduled with systemd-run', run('--user', '--on-active=3600', '/usr/bin/true'));
  await r.silent('Timer scheduled with systemd-run', run('--version'));
});
