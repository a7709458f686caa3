/** Live: the credential-file rules (rules/15-credential-files.yaml), each attack and its benign twin. */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { atRealPath, py, rand, ruleRunner, scratch, toolCopy } from './support.js';

const dir = scratch('credfiles');
after(() => rmSync(dir, { recursive: true, force: true }));
const CAT = '/usr/bin/cat';

/** A file at `path` with some content, its directories created. */
function plant(path: string, content = 'x\n'): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

test("Another user's SSH directory read", async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const home = `/home/vigil-test-${rand()}`;
  try {
    const other = plant(`${home}/.ssh/config`, 'Host *\n');
    await r.fires("Another user's SSH directory read", [CAT, other], {
      'fd.name': other,
      'user.name': 'root',
    });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  await atRealPath(`/root/.ssh/vigil-test-${rand()}`, async (own) => {
    writeFileSync(own, 'Host *\n');
    await r.silent("Another user's SSH directory read", [CAT, own]);
  });
});

test('SSH agent socket used by another program', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const connectUnix = (path: string): string[] =>
    py(
      `import os, socket\nos.makedirs(os.path.dirname('${path}'), exist_ok=True)\n` +
        `s = socket.socket(socket.AF_UNIX)\ns.bind('${path}')\ns.listen(1)\n` +
        `c = socket.socket(socket.AF_UNIX)\nc.connect('${path}')`,
    );
  const agentDir = `/tmp/ssh-vigil${rand()}`;
  try {
    await r.fires('SSH agent socket used by another program', connectUnix(`${agentDir}/agent.4242`), {
      'fd.name': `${agentDir}/agent.4242`,
    });
  } finally {
    rmSync(agentDir, { recursive: true, force: true });
  }
  await r.silent('SSH agent socket used by another program', connectUnix(join(dir, 'app.sock')));
});

test('Kerberos ticket cache or keytab read', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const cache = plant(`/tmp/krb5cc_vigil_${rand()}`);
  try {
    await r.fires('Kerberos ticket cache or keytab read', [CAT, cache], { 'fd.name': cache });
  } finally {
    rmSync(cache, { force: true });
  }
  await r.silent('Kerberos ticket cache or keytab read', [CAT, plant(join(dir, 'krb5.conf'))]);
});

test('Service account token read by a shell tool', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await atRealPath('/run/secrets/kubernetes.io/serviceaccount/token', async (token) => {
    writeFileSync(token, 'eyJhbGciOi.test\n');
    await r.fires('Service account token read by a shell tool', [CAT, token], { 'fd.name': token });
  });
  await r.silent('Service account token read by a shell tool', [CAT, plant(join(dir, 'token'))]);
});

test('Password cracking or brute-force tool run', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires(
    'Password cracking or brute-force tool run',
    [toolCopy(dir, 'hydra'), '-l', 'root', 'ssh://10.0.0.1'],
    {
      'proc.name': 'hydra',
    },
  );
  await r.silent('Password cracking or brute-force tool run', [toolCopy(dir, 'hydrant')]);
});

test('Infrastructure state file read', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const state = plant(join(dir, 'infra/terraform.tfstate'), '{"version": 4}\n');
  await r.fires('Infrastructure state file read', [CAT, state], { 'fd.name': state });
  await r.silent('Infrastructure state file read', [CAT, plant(join(dir, 'infra/main.tf'))]);
});

test('GnuPG private keys read', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const key = plant(join(dir, '.gnupg/private-keys-v1.d/0123ABCD.key'));
  await r.fires('GnuPG private keys read', [CAT, key], { 'fd.name': key });
  await r.silent('GnuPG private keys read', [CAT, plant(join(dir, '.gnupg/pubring.kbx'))]);
});
