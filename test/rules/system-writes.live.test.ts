/** Live: writes below system directories (real paths, written then removed) and their benign twins. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { atRealPath, py, rand, ruleRunner, scratch, sh } from './support.js';

const dir = scratch('syswrite');
after(() => rmSync(dir, { recursive: true, force: true }));

async function writeRule(t: TestContext, rule: string, real: string): Promise<void> {
  const r = await ruleRunner(t);
  if (!r) return;
  await atRealPath(real, async (p) => {
    await r.fires(rule, sh(`echo '# vigil rule test' > ${p}`), { 'fd.name': p, 'proc.name': 'sh' });
  });
  await r.silent(rule, sh(`echo '# vigil rule test' > ${join(dir, `benign-${rand()}`)}`));
}

test('Write below binary directory', (t) =>
  writeRule(t, 'Write below binary directory', `/usr/local/bin/vigil-test-${rand()}`));
test('Write below library directory', (t) =>
  writeRule(t, 'Write below library directory', `/usr/local/lib/vigil-test-${rand()}.so`));
test('Write below etc', (t) => writeRule(t, 'Write below etc', `/etc/vigil-test-${rand()}.conf`));
test('Write below boot', (t) => writeRule(t, 'Write below boot', `/boot/vigil-test-${rand()}`));

test('Raw memory device opened', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  // Read-only; refused or not (lockdown), the attempt is the alert.
  const open = (path: string): string[] =>
    py(`import os\ntry: os.close(os.open('${path}', os.O_RDONLY))\nexcept OSError: pass`);
  await r.fires('Raw memory device opened', open('/dev/mem'), { 'fd.name': '/dev/mem' });
  await r.silent('Raw memory device opened', open('/dev/null'));
});

test('Kernel parameter changed', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  // Opened for writing and closed without a write: the setting is unchanged.
  const open = (flags: string): string[] =>
    py(`import os; os.close(os.open('/proc/sys/kernel/randomize_va_space', ${flags}))`);
  await r.fires('Kernel parameter changed', open('os.O_WRONLY'), {
    'fd.name': '/proc/sys/kernel/randomize_va_space',
  });
  await r.silent('Kernel parameter changed', open('os.O_RDONLY'));
});

test('Symlink to a sensitive file created', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const link = join(dir, `s-${rand()}`);
  await r.fires('Symlink to a sensitive file created', ['/usr/bin/ln', '-s', '/etc/shadow', link], {
    'evt.arg.target': '/etc/shadow',
    'fd.name': link,
  });
  await r.silent('Symlink to a sensitive file created', [
    '/usr/bin/ln',
    '-s',
    '/etc/hostname',
    join(dir, `h-${rand()}`),
  ]);
});
