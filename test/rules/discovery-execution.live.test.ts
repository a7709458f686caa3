/** Live: discovery, collection and execution rules fire on the real action and stay silent on the twin. */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { bash, py, ruleRunner, scratch, toolCopy } from './support.js';

const dir = scratch('disc');
after(() => rmSync(dir, { recursive: true, force: true }));

test('Network scanner run', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires('Network scanner run', [toolCopy(dir, 'nmap'), '-sT', '127.0.0.1'], { 'proc.name': 'nmap' });
  await r.silent('Network scanner run', [toolCopy(dir, 'mapper'), '-sT', '127.0.0.1']);
});

test('Privilege escalation enumeration tool run', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires('Privilege escalation enumeration tool run', [toolCopy(dir, 'linpeas.sh')], {
    'proc.name': 'linpeas.sh',
  });
  await r.silent('Privilege escalation enumeration tool run', [toolCopy(dir, 'inventory.sh')]);
});

test('Search for setuid programs', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires('Search for setuid programs', ['/usr/bin/find', dir, '-perm', '-4000'], {
    'proc.cmdline': `find ${dir} -perm -4000`,
  });
  await r.silent('Search for setuid programs', ['/usr/bin/find', dir, '-name', 'nothing']);
});

test('Network sniffer run', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const tcpdump = toolCopy(dir, 'tcpdump');
  await r.fires('Network sniffer run', [tcpdump, '-i', 'lo', '-c', '1'], { 'proc.name': 'tcpdump' });
  await r.silent('Network sniffer run', [tcpdump, '--version']);
});

test('Packet socket opened', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires(
    'Packet socket opened',
    py(`import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW).close()`),
    {
      'evt.arg.type': /SOCK_RAW/,
    },
  );
  await r.silent(
    'Packet socket opened',
    py(`import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()`),
  );
});

test('Archive of credential directories', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  mkdirSync(join(dir, '.ssh'), { recursive: true });
  mkdirSync(join(dir, 'docs'), { recursive: true });
  writeFileSync(join(dir, '.ssh/config'), 'Host *\n');
  writeFileSync(join(dir, 'docs/a.txt'), 'a\n');
  await r.fires(
    'Archive of credential directories',
    ['/usr/bin/tar', '-cf', join(dir, 'a.tar'), '-C', dir, '.ssh'],
    {
      'proc.cmdline': `tar -cf ${join(dir, 'a.tar')} -C ${dir} .ssh`,
    },
  );
  await r.silent('Archive of credential directories', [
    '/usr/bin/tar',
    '-cf',
    join(dir, 'b.tar'),
    '-C',
    dir,
    'docs',
  ]);
});

test('Container or cloud discovery tool run', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires('Container or cloud discovery tool run', [toolCopy(dir, 'amicontained')], {
    'proc.name': 'amicontained',
  });
  await r.silent('Container or cloud discovery tool run', [toolCopy(dir, 'contained')]);
});

/** A copy of dash under a server's name runs a command, forking (the `; true` stops dash exec'ing it). */
async function serverShell(t: Parameters<typeof ruleRunner>[0], rule: string, server: string): Promise<void> {
  const r = await ruleRunner(t);
  if (!r) return;
  const srv = toolCopy(dir, server, '/usr/bin/dash');
  const alert = await r.fires(rule, [srv, '-c', '/usr/bin/bash -c "exit 0"; true'], {
    'proc.cmdline': 'bash -c exit 0',
  });
  assert.equal(alert.event.proc.ancestors[0].name, server);
  await r.silent(rule, [srv, '-c', '/usr/bin/true; true']);
}

test('Shell spawned by a web server', (t) => serverShell(t, 'Shell spawned by a web server', 'nginx'));
test('Shell spawned by a database', (t) => serverShell(t, 'Shell spawned by a database', 'postgres'));
test('Shell spawned by a Java process', (t) => serverShell(t, 'Shell spawned by a Java process', 'java'));

test('Decoded payload piped to a shell', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires('Decoded payload piped to a shell', bash('echo dHJ1ZQo= | base64 -d | sh'), {
    'proc.cmdline': 'bash -c echo dHJ1ZQo= | base64 -d | sh',
  });
  await r.silent('Decoded payload piped to a shell', bash('echo aGkK | base64 -d'));
});

test('Download piped to a shell', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  // Port 9 on loopback: nothing listens, curl fails, sh reads nothing.
  await r.fires('Download piped to a shell', bash('curl -s http://127.0.0.1:9/install.sh | sh'), {
    'proc.cmdline': 'bash -c curl -s http://127.0.0.1:9/install.sh | sh',
  });
  await r.silent(
    'Download piped to a shell',
    bash('curl -s http://127.0.0.1:9/install.sh > /dev/null; true'),
  );
});

async function listener(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return { server, port: (server.address() as { port: number }).port };
}

test('Inline interpreter code made a network connection', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const { server, port } = await listener();
  try {
    await r.fires(
      'Inline interpreter code made a network connection',
      py(`import socket; socket.create_connection(('127.0.0.1', ${port})).close()`),
      { 'fd.rport': port, 'fd.rip': '127.0.0.1' },
    );
    // The same connection from a script file: an installed program, not code typed on a command line.
    const script = join(dir, 'client.py');
    writeFileSync(script, `import socket; socket.create_connection(('127.0.0.1', ${port})).close()\n`);
    await r.silent('Inline interpreter code made a network connection', ['/usr/bin/python3', script]);
  } finally {
    server.close();
  }
});

test('Interpreter started from a temp directory script', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  mkdirSync(join(dir, '.stage'), { recursive: true });
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  writeFileSync(join(dir, '.stage/run.sh'), 'exit 0\n');
  writeFileSync(join(dir, 'scripts/run.sh'), 'exit 0\n');
  await r.fires('Interpreter started from a temp directory script', ['/bin/sh', join(dir, '.stage/run.sh')], {
    'proc.cmdline': `sh ${join(dir, '.stage/run.sh')}`,
  });
  await r.silent('Interpreter started from a temp directory script', [
    '/bin/sh',
    join(dir, 'scripts/run.sh'),
  ]);
});
