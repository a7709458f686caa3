/** Live: the rules of rules/75-command-and-control-extra.yaml, each attack and its benign twin. */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { atRealPath, PY, py, rand, ruleRunner, scratch, sh } from './support.js';

const dir = scratch('c2-extra');
after(() => rmSync(dir, { recursive: true, force: true }));

/** A TCP connect to 127.0.0.1:port from Python, refused or not. */
const connectTo = (port: number): string[] =>
  py(`import socket\ntry:\n  socket.create_connection(('127.0.0.1', ${port}), 2)\nexcept OSError:\n  pass`);

test('SSH or file transfer to a non-standard port', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  // A server that hangs up at once: ssh connects, reads no banner and gives up.
  const server = createServer((s) => s.destroy());
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.after(() => server.close());
  const { port } = server.address() as AddressInfo;
  const ssh = (p: number): string[] => [
    '/usr/bin/ssh',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=3',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
    '-p',
    String(p),
    '127.0.0.1',
    'true',
  ];
  await r.fires('SSH or file transfer to a non-standard port', ssh(port), { 'fd.rport': port });
  await r.silent('SSH or file transfer to a non-standard port', ssh(22));
});

test('Connection to a Tor port', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires('Connection to a Tor port', connectTo(9050), { 'fd.rport': 9050 });
  await r.silent('Connection to a Tor port', connectTo(9));
});

test('Connection to an IRC port', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires('Connection to an IRC port', connectTo(6667), { 'fd.rport': 6667 });
  await r.silent('Connection to an IRC port', connectTo(9));
});

test('Raw ICMP socket opened', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires(
    'Raw ICMP socket opened',
    py('import socket\nsocket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)'),
    {
      'evt.arg.type': /^SOCK_RAW/,
    },
  );
  await r.silent(
    'Raw ICMP socket opened',
    py('import socket\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM)'),
  );
});

/**
 * A network namespace where a dummy interface (a veth where the kernel has no dummy driver) holds
 * 169.254.169.254 and Python's HTTP server listens on `bind`; curl, in the same namespace, fetches
 * `url` until the server answers.
 */
const METADATA_SH = `set -e
ns=$1; docroot=$2; bind=$3; url=$4
ip netns add "$ns"
trap 'ip netns pids "$ns" | xargs -r kill; ip netns del "$ns"' EXIT
ip -n "$ns" link set lo up
if ! ip -n "$ns" link add md0 type dummy 2>/dev/null; then
  ip -n "$ns" link add md0 type veth peer name md1
  ip -n "$ns" link set md1 up
fi
ip -n "$ns" link set md0 up
ip -n "$ns" addr add 169.254.169.254/32 dev md0
ip netns exec "$ns" ${PY} -m http.server --bind "$bind" 80 --directory "$docroot" >/dev/null 2>&1 &
i=0
until ip netns exec "$ns" /usr/bin/curl -sf -o /dev/null "$url"; do
  i=$((i+1)); [ $i -lt 200 ] || exit 1; sleep 0.05
done
`;

test('Cloud instance metadata contacted; credentials requested from it', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const docroot = join(dir, 'imds');
  mkdirSync(join(docroot, 'latest/meta-data/iam/security-credentials'), { recursive: true });
  writeFileSync(join(docroot, 'latest/meta-data/iam/security-credentials/index.html'), 'vigil-test-role\n');
  writeFileSync(join(docroot, 'index.html'), 'hello\n');
  const script = join(dir, 'metadata.sh');
  writeFileSync(script, METADATA_SH);
  const run = (bind: string, url: string): string[] => [
    '/bin/sh',
    script,
    `vigil-md-${rand()}`,
    docroot,
    bind,
    url,
  ];
  const creds = 'http://169.254.169.254/latest/meta-data/iam/security-credentials/';
  await r.fires('Cloud instance metadata contacted', run('169.254.169.254', creds), {
    'fd.name': /169\.254\.169\.254:80$/,
    'proc.name': 'curl',
  });
  await r.fires('Cloud credentials requested from instance metadata', run('169.254.169.254', creds), {
    'proc.cmdline': /169\.254\.169\.254\/latest\/meta-data\/iam\/security-credentials/,
  });
  // The same server and client on the namespace's loopback address.
  await r.silent('Cloud instance metadata contacted', run('127.0.0.1', 'http://127.0.0.1/index.html'));
  await r.silent(
    'Cloud credentials requested from instance metadata',
    run('127.0.0.1', 'http://127.0.0.1/index.html'),
  );
});

test('Download tool wrote into a binary directory', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const curl = (out: string): string[] => ['/usr/bin/curl', '-s', 'file:///etc/hostname', '-o', out];
  await atRealPath(`/usr/local/bin/vigil-test-${rand()}`, async (p) => {
    await r.fires('Download tool wrote into a binary directory', curl(p), { 'fd.name': p });
  });
  await r.silent('Download tool wrote into a binary directory', curl(join(dir, 'download')));
});

test('Downloaded file made executable', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const f = join(dir, `tool-${rand()}`);
  await r.fires(
    'Downloaded file made executable',
    sh(`/usr/bin/curl -s file:///etc/hostname -o ${f} && chmod +x ${f}`),
    {
      'proc.cmdline': `chmod +x ${f}`,
    },
  );
  await r.silent('Downloaded file made executable', sh(`cp /etc/hostname ${f} && chmod +x ${f}`));
});
