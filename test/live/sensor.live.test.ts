/**
 * Live sensor tests (root + BPF, real kernel): real programs do real things and
 * the events that come back through the probes, the ring buffer and the
 * decoder are checked. Each has a benign twin where that makes sense.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VigilEvent } from '../../src/event/types.js';
import { liveSensor, PYTHON, runTraced } from './harness.js';

const of = (events: VigilEvent[], type: string, pred: (e: VigilEvent) => boolean = () => true) =>
  events.filter((e) => e.type === type && pred(e));

test('cat /etc/shadow: openat of /etc/shadow by /usr/bin/cat, with its parent chain', async (t) => {
  const live = await liveSensor(t);
  if (!live) return;
  const { result, events } = await runTraced(live, '/usr/bin/bash', [
    '-c',
    '/usr/bin/cat /etc/shadow >/dev/null; true',
  ]);
  const opens = of(events, 'openat', (e) => e.fd?.name === '/etc/shadow');
  assert.equal(opens.length, 1, 'one open of /etc/shadow');
  const ev = opens[0];
  assert.equal(ev.proc.exe, '/usr/bin/cat');
  assert.equal(ev.proc.name, 'cat');
  assert.equal(ev.proc.cmdline, 'cat /etc/shadow');
  assert.ok(ev.ret >= 0, `the open succeeded (${ev.ret})`);
  assert.equal(ev.fd?.num, ev.ret);
  assert.equal(ev.args.flags, 'O_RDONLY');
  assert.equal(ev.user.name, 'root');
  assert.equal(ev.proc.ppid, result.pid);
  assert.equal(ev.proc.ancestors[0].pid, result.pid);
  assert.equal(ev.proc.ancestors[0].exe, '/usr/bin/bash');
  assert.equal(ev.proc.ancestors[1].pid, process.pid, 'then this test process');
  assert.equal(ev.proc.ancestors[1].exe, process.execPath);

  // Benign twin: another file gives no /etc/shadow event.
  const twin = await runTraced(live, '/usr/bin/bash', ['-c', '/usr/bin/cat /etc/hostname >/dev/null; true']);
  assert.equal(of(twin.events, 'openat', (e) => e.fd?.name === '/etc/shadow').length, 0);
  assert.equal(of(twin.events, 'openat', (e) => e.fd?.name === '/etc/hostname').length, 1);
});

test('a process that execs and exits within a millisecond has its exe and full argv', async (t) => {
  const live = await liveSensor(t);
  if (!live) return;
  const argv = Array.from({ length: 40 }, (_, i) => `arg-${i}-${'x'.repeat(i)}`);
  const { result, events } = await runTraced(live, '/usr/bin/true', argv);
  const exec = of(events, 'execve', (e) => e.proc.pid === result.pid);
  assert.equal(exec.length, 1);
  assert.equal(exec[0].proc.exe, '/usr/bin/true');
  assert.deepEqual(exec[0].proc.args, ['/usr/bin/true', ...argv]);
  assert.equal(exec[0].proc.cmdline, `true ${argv.join(' ')}`);
  const exit = of(events, 'procexit', (e) => e.proc.pid === result.pid);
  assert.equal(exit.length, 1);
  assert.equal(exit[0].proc.exe, '/usr/bin/true', 'procexit resolves the process too');
  assert.deepEqual(exit[0].proc.args, ['/usr/bin/true', ...argv]);
  assert.equal(exit[0].args.ret, 0);
});

test('relative opens resolve to absolute paths (cwd after cd, and a dirfd)', async (t) => {
  const live = await liveSensor(t);
  if (!live) return;
  const { events } = await runTraced(live, '/usr/bin/bash', [
    '-c',
    'cd /etc && /usr/bin/cat ./hostname >/dev/null',
  ]);
  const rel = of(events, 'openat', (e) => e.fd?.nameraw === './hostname');
  assert.equal(rel.length, 1);
  assert.equal(rel[0].fd?.name, '/etc/hostname');
  assert.equal(rel[0].proc.cwd, '/etc');

  const py = await runTraced(live, PYTHON, [
    '-c',
    "import os; d = os.open('/usr/share', os.O_RDONLY); os.close(os.open('../../etc/hostname', os.O_RDONLY, dir_fd=d))",
  ]);
  const viaDirfd = of(py.events, 'openat', (e) => e.fd?.nameraw === '../../etc/hostname');
  assert.equal(viaDirfd.length, 1);
  assert.equal(viaDirfd[0].fd?.name, '/etc/hostname');
  assert.ok(Number(viaDirfd[0].args.dirfd) >= 0);
});

/** The events after the first exec: before it, the child is node's, wiring its stdio pipes. */
function afterExec(events: VigilEvent[]): VigilEvent[] {
  const i = events.findIndex((e) => e.type === 'execve');
  return i < 0 ? [] : events.slice(i + 1);
}

async function listener(): Promise<{ server: Server; port: number; received: () => string }> {
  let data = '';
  const server = createServer((sock) => sock.on('data', (d) => (data += d.toString())));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { server, port, received: () => data };
}

test('connect to a loopback listener: address, port and result; a refused one fails', async (t) => {
  const live = await liveSensor(t);
  if (!live) return;
  const { server, port } = await listener();
  try {
    const { events } = await runTraced(live, PYTHON, [
      '-c',
      `import socket; s = socket.create_connection(('127.0.0.1', ${port})); s.close()`,
    ]);
    const c = of(events, 'connect', (e) => e.fd?.rport === port);
    assert.equal(c.length, 1);
    assert.equal(c[0].ret, 0);
    assert.equal(c[0].args.res, 0);
    assert.equal(c[0].fd?.rip, '127.0.0.1');
    assert.equal(c[0].fd?.lip, '127.0.0.1');
    assert.equal(c[0].fd?.type, 'ipv4');
    assert.equal(c[0].fd?.l4proto, 'tcp');
    assert.equal(c[0].fd?.name, `127.0.0.1:${c[0].fd?.lport}->127.0.0.1:${port}`);
  } finally {
    server.close();
  }
  // Benign twin: nothing listens on the port now.
  const refused = await runTraced(live, PYTHON, [
    '-c',
    `import socket\ntry: socket.create_connection(('127.0.0.1', ${port}))\nexcept OSError: pass`,
  ]);
  const c = of(refused.events, 'connect', (e) => e.fd?.rport === port);
  assert.equal(c.length, 1);
  assert.equal(c[0].ret, -111);
  assert.equal(c[0].args.res, 'ECONNREFUSED');
});

test('bash /dev/tcp wired onto stdout: the dup2 shows the socket', async (t) => {
  const live = await liveSensor(t);
  if (!live) return;
  const { server, port, received } = await listener();
  try {
    const { events } = await runTraced(live, '/usr/bin/bash', [
      '-c',
      `exec 3<>/dev/tcp/127.0.0.1/${port}; exec 1>&3; echo hello-from-vigil`,
    ]);
    const dups = afterExec(events).filter((e) => e.type === 'dup2' && e.fd?.num === 1);
    assert.equal(dups.length, 1, `one dup2 onto stdout: ${JSON.stringify(dups.map((e) => e.fd))}`);
    const fd = dups[0].fd!;
    assert.equal(fd.type, 'ipv4');
    assert.equal(fd.rport, port);
    assert.equal(fd.rip, '127.0.0.1');
    assert.ok(fd.name.endsWith(`->127.0.0.1:${port}`), fd.name);
    assert.equal(dups[0].args.oldfd, 3);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(received().includes('hello-from-vigil'), 'the shell really wrote to the socket');

    // Benign twin: stdout onto a file is a dup2 of a file, not a socket.
    const twin = await runTraced(live, '/usr/bin/bash', ['-c', 'exec 3>/dev/null; exec 1>&3; echo x']);
    const fileDup = afterExec(twin.events).filter((e) => e.type === 'dup2' && e.fd?.num === 1);
    assert.equal(fileDup.length, 1);
    assert.notEqual(fileDup[0].fd?.type, 'ipv4');
    assert.equal(fileDup[0].fd?.name, '/dev/null');
  } finally {
    server.close();
  }
});

function cgroup2Mount(): string {
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const [, target, type] = line.split(' ');
    if (type === 'cgroup2') return target;
  }
  throw new Error('no cgroup2 mount');
}

test('a process in the cgroup /docker/<64 hex> gets that container id', async (t) => {
  const live = await liveSensor(t);
  if (!live) return;
  const id = randomBytes(32).toString('hex');
  const root = cgroup2Mount();
  mkdirSync(join(root, 'docker'), { recursive: true });
  const dir = join(root, 'docker', id);
  mkdirSync(dir);
  try {
    const { events } = await runTraced(live, '/usr/bin/bash', [
      '-c',
      `echo $$ > ${dir}/cgroup.procs && exec /usr/bin/cat /etc/hostname`,
    ]);
    const exec = of(events, 'execve', (e) => e.proc.exe === '/usr/bin/cat');
    assert.equal(exec.length, 1);
    assert.equal(exec[0].proc.cgroup, `/docker/${id}`);
    assert.equal(exec[0].proc.container_id, id.slice(0, 12));
    assert.equal(exec[0].container?.id, id.slice(0, 12));
    const open = of(events, 'openat', (e) => e.fd?.name === '/etc/hostname');
    assert.equal(open[0].proc.container_id, id.slice(0, 12));

    // Benign twin: the same on the host has no container id.
    const host = await runTraced(live, '/usr/bin/bash', ['-c', 'exec /usr/bin/cat /etc/hostname']);
    const hostExec = of(host.events, 'execve', (e) => e.proc.exe === '/usr/bin/cat');
    assert.equal(hostExec[0].proc.container_id, '');
    assert.equal(hostExec[0].container, undefined);
  } finally {
    rmdirSync(dir);
  }
});

test('setuid, ptrace attach, memfd_create and finit_module are seen with their arguments', async (t) => {
  const live = await liveSensor(t);
  if (!live) return;
  const tmp = mkdtempSync(join(tmpdir(), 'vigil-live-'));
  try {
    const setuid = await runTraced(live, PYTHON, ['-c', 'import os; os.setuid(65534)']);
    const su = of(setuid.events, 'setuid');
    assert.equal(su.length, 1);
    assert.equal(su[0].args.uid, 65534);
    assert.equal(su[0].ret, 0);
    assert.equal(su[0].proc.uid, 65534, 'credentials after the call');
    assert.equal(su[0].user.uid, 65534);

    const memfd = await runTraced(live, PYTHON, [
      '-c',
      "import os; os.memfd_create('vigil-memfd', os.MFD_CLOEXEC)",
    ]);
    const mf = of(memfd.events, 'memfd_create');
    assert.equal(mf.length, 1);
    assert.equal(mf[0].args.name, 'vigil-memfd');
    assert.equal(mf[0].args.flags, 'MFD_CLOEXEC');
    assert.ok(mf[0].ret >= 0);

    // ptrace(PTRACE_ATTACH) on a sleeping child of the tracer.
    const ptrace = await runTraced(live, PYTHON, [
      '-c',
      [
        'import ctypes, os, signal, subprocess',
        'libc = ctypes.CDLL(None, use_errno=True)',
        "p = subprocess.Popen(['/usr/bin/sleep', '30'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)",
        'r = libc.ptrace(16, p.pid, None, None)',
        'os.waitpid(p.pid, 0)',
        'libc.ptrace(17, p.pid, None, None)',
        // os.kill: Popen.kill() sends nothing once its poll() has taken a stop for an exit.
        'os.kill(p.pid, signal.SIGKILL); p.wait()',
        'print(p.pid, r)',
      ].join('\n'),
    ]);
    const [target, rc] = ptrace.result.stdout.trim().split(' ').map(Number);
    assert.equal(rc, 0, `PTRACE_ATTACH worked: ${ptrace.result.stderr}`);
    const attach = of(ptrace.events, 'ptrace', (e) => e.args.request === 'PTRACE_ATTACH');
    assert.equal(attach.length, 1);
    assert.equal(attach[0].args.pid, target);
    assert.equal(attach[0].ret, 0);
    assert.equal(of(ptrace.events, 'ptrace', (e) => e.args.request === 'PTRACE_DETACH').length, 1);

    // finit_module of a file that is no module: refused, and still seen with its fd and path.
    const ko = join(tmp, 'not-a-module.ko');
    writeFileSync(ko, 'this is not an ELF module');
    const finit = await runTraced(live, PYTHON, [
      '-c',
      [
        'import ctypes, os',
        'libc = ctypes.CDLL(None, use_errno=True)',
        `fd = os.open(${JSON.stringify(ko)}, os.O_RDONLY)`,
        "r = libc.syscall(313, fd, b'vigil=1', 0)",
        'print(fd, r, ctypes.get_errno())',
      ].join('\n'),
    ]);
    const [fd, r] = finit.result.stdout.trim().split(' ').map(Number);
    assert.equal(r, -1, 'the kernel refused it');
    const fm = of(finit.events, 'finit_module');
    assert.equal(fm.length, 1);
    assert.equal(fm[0].args.fd, fd);
    assert.equal(fm[0].args.uargs, 'vigil=1');
    assert.equal(fm[0].fd?.name, ko);
    assert.ok(fm[0].ret < 0);
    assert.equal(typeof fm[0].args.res, 'string');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
