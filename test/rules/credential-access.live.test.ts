/** Live: every credential-access rule fires on the real action and stays silent on its benign twin. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { py, ruleRunner, scratch, toolCopy } from './support.js';

const dir = scratch('cred');
after(() => rmSync(dir, { recursive: true, force: true }));

test('Read shadow file', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires('Read shadow file', ['/usr/bin/cat', '/etc/shadow'], {
    'fd.name': '/etc/shadow',
    'proc.name': 'cat',
    'user.name': 'root',
  });
  await r.silent('Read shadow file', ['/usr/bin/cat', '/etc/hostname']);
});

test('Read shadow file: a trusted name is honoured only when the kernel vouches for it', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  // `cat` through a symlink named after an account tool: the comm says passwd, the exe is cat.
  const link = join(dir, 'passwd');
  symlinkSync('/usr/bin/cat', link);
  const viaLink = await r.fires('Read shadow file', [link, '/etc/shadow'], { 'proc.name': 'passwd' });
  assert.equal(viaLink.event.proc.exe, '/usr/bin/cat');
  // A copy outside the system directories: its own name, but not where only root writes.
  const copy = toolCopy(mkdtempSync(join(dir, 'copy-')), 'chage', '/usr/bin/cat');
  await r.fires('Read shadow file', [copy, '/etc/shadow'], { 'proc.name': 'chage' });
  // The real account tool, run by its path: trusted.
  await r.silent('Read shadow file', ['/usr/bin/chage', '-l', 'root']);
});

test('Read SSH private key', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  mkdirSync(join(dir, '.ssh'), { recursive: true });
  writeFileSync(join(dir, '.ssh/id_ed25519'), 'not a real key\n');
  writeFileSync(join(dir, '.ssh/id_ed25519.pub'), 'ssh-ed25519 AAAA test\n');
  await r.fires('Read SSH private key', ['/usr/bin/cat', join(dir, '.ssh/id_ed25519')], {
    'fd.name': join(dir, '.ssh/id_ed25519'),
    'proc.name': 'cat',
  });
  await r.silent('Read SSH private key', ['/usr/bin/cat', join(dir, '.ssh/id_ed25519.pub')]);
});

test('Read cloud or service credentials', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  mkdirSync(join(dir, '.aws'), { recursive: true });
  writeFileSync(join(dir, '.aws/credentials'), '[default]\n');
  writeFileSync(join(dir, '.aws/notes.txt'), 'nothing\n');
  await r.fires('Read cloud or service credentials', ['/usr/bin/cat', join(dir, '.aws/credentials')], {
    'fd.name': join(dir, '.aws/credentials'),
  });
  await r.silent('Read cloud or service credentials', ['/usr/bin/cat', join(dir, '.aws/notes.txt')]);
});

test('Search for private keys or passwords', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires(
    'Search for private keys or passwords',
    ['/usr/bin/grep', '-rl', 'BEGIN RSA PRIVATE KEY', dir],
    {
      'proc.name': 'grep',
    },
  );
  await r.silent('Search for private keys or passwords', ['/usr/bin/grep', '-rl', 'hello', dir]);
});

const withSleeper = (file: string, flags = 'os.O_RDONLY'): string[] =>
  py(
    `import os, subprocess\np = subprocess.Popen(['/usr/bin/sleep', '30'])\n` +
      `try:\n  os.close(os.open('/proc/%d/${file}' % p.pid, ${flags}))\nfinally:\n  p.kill(); p.wait()`,
  );

test("Read another process's memory", async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const a = await r.fires("Read another process's memory", withSleeper('mem'), {
    'evt.arg.flags': /^O_RDONLY/,
  });
  if (!/^\/proc\/\d+\/mem$/.test(String(a.output_fields['fd.name']))) throw new Error(a.output);
  await r.silent(
    "Read another process's memory",
    py(`import os; os.close(os.open('/proc/self/mem', os.O_RDONLY))`),
  );
});

test("Read another process's environment", async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires("Read another process's environment", withSleeper('environ'), {
    'fd.name': /^\/proc\/\d+\/environ$/,
  });
  await r.silent(
    "Read another process's environment",
    py(`import os; os.close(os.open('/proc/self/environ', os.O_RDONLY))`),
  );
});

test('Read shell history', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  writeFileSync(join(dir, '.bash_history'), 'ls\n');
  writeFileSync(join(dir, 'history.txt'), 'ls\n');
  await r.fires('Read shell history', ['/usr/bin/cat', join(dir, '.bash_history')], {
    'fd.name': join(dir, '.bash_history'),
    'proc.name': 'cat',
  });
  await r.silent('Read shell history', ['/usr/bin/cat', join(dir, 'history.txt')]);
});

test('Credential dumping tool executed', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const tool = toolCopy(dir, 'mimipenguin');
  await r.fires('Credential dumping tool executed', [tool], {
    'proc.name': 'mimipenguin',
    'proc.exepath': tool,
  });
  await r.silent('Credential dumping tool executed', [toolCopy(dir, 'penguin')]);
});
