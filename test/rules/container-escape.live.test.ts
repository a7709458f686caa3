/**
 * Live: container rules fire for the workload of a stand-in container (its own Docker-named cgroup,
 * pid and mount namespaces) and stay silent for the same action on the host.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { StandInContainer } from '../support/container.js';
import { perl, py, rand, ruleRunner, scratch, sh } from './support.js';

const dir = scratch('container');
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs fn with a fresh stand-in container, removed afterwards. */
async function inContainer(fn: (c: StandInContainer) => Promise<void>): Promise<void> {
  const c = StandInContainer.create();
  try {
    await fn(c);
  } finally {
    c.remove();
  }
}

/** The host twin: the same namespaces, but the host's cgroup. */
const hostNs = (cmd: string[]): string[] => ['/usr/bin/unshare', '-pmf', '--mount-proc', '--', ...cmd];

test('Mount inside a container', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await inContainer(async (c) => {
    await r.fires(
      'Mount inside a container',
      c.argv(['/usr/bin/mount', '-t', 'tmpfs', 'vigiltest', '/mnt']),
      {
        'container.id': c.id,
        'evt.arg.type': 'tmpfs',
        'proc.name': 'mount',
      },
    );
  });
  await r.silent('Mount inside a container', hostNs(['/usr/bin/mount', '-t', 'tmpfs', 'vigiltest', '/mnt']));
});

test('Namespace changed inside a container', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await inContainer(async (c) => {
    await r.fires(
      'Namespace changed inside a container',
      c.argv(['/usr/bin/unshare', '--uts', '/usr/bin/true']),
      {
        'container.id': c.id,
        'evt.type': 'unshare',
      },
    );
  });
  await r.silent('Namespace changed inside a container', ['/usr/bin/unshare', '--uts', '/usr/bin/true']);
});

test('Cgroup release_agent written', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  // A named cgroup v1 hierarchy in a private mount namespace: gone when the namespace is.
  const mnt = join(dir, `cg-${rand()}`);
  const withHierarchy = (code: string): string[] => [
    '/usr/bin/unshare',
    '-m',
    '--',
    '/bin/sh',
    '-c',
    `mkdir -p ${mnt} && mount -t cgroup -o none,name=vigil${rand()} cgroup ${mnt} && /usr/bin/python3 -c "${code}"`,
  ];
  await r.fires('Cgroup release_agent written', withHierarchy(`open('${mnt}/release_agent', 'a').close()`), {
    'fd.name': `${mnt}/release_agent`,
  });
  await r.silent('Cgroup release_agent written', withHierarchy(`open('${mnt}/release_agent').close()`));
});

test('Packet socket in a container', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await inContainer(async (c) => {
    await r.fires(
      'Packet socket in a container',
      c.argv(py(`import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW).close()`)),
      { 'container.id': c.id },
    );
    await r.silent(
      'Packet socket in a container',
      c.argv(py(`import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()`)),
    );
  });
});

test('Kernel code loaded from a container', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const bpf = (cmd: number): string[] =>
    perl(`my $attr = pack("L", 1) . ("\\0" x 124); syscall(321, ${cmd}, $attr, 128);`);
  await inContainer(async (c) => {
    await r.fires('Kernel code loaded from a container', c.argv(bpf(5)), {
      'container.id': c.id,
      'evt.arg.cmd': 'BPF_PROG_LOAD',
    });
    await r.silent('Kernel code loaded from a container', c.argv(bpf(0)));
  });
});

test('Kernel escape file opened for writing', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  // Opened write-only and closed without writing: the kernel setting is unchanged.
  const open = (flags: string): string[] =>
    py(`import os; os.close(os.open('/proc/sys/kernel/core_pattern', ${flags}))`);
  await r.fires('Kernel escape file opened for writing', open('os.O_WRONLY'), {
    'fd.name': '/proc/sys/kernel/core_pattern',
  });
  await r.silent('Kernel escape file opened for writing', open('os.O_RDONLY'));
});

test('Container runtime socket connected from a container', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  // In the container's own mount namespace: a tmpfs on /run holds a stand-in docker.sock.
  const serveAndConnect = (path: string): string[] =>
    sh(
      `mount -t tmpfs vigil /run && exec /usr/bin/python3 -c "import socket\n` +
        `s = socket.socket(socket.AF_UNIX); s.bind('${path}'); s.listen(1)\n` +
        `c = socket.socket(socket.AF_UNIX); c.connect('${path}'); c.close()"`,
    );
  await inContainer(async (c) => {
    await r.fires(
      'Container runtime socket connected from a container',
      c.argv(serveAndConnect('/run/docker.sock')),
      {
        'container.id': c.id,
        'fd.name': '/run/docker.sock',
      },
    );
    await r.silent(
      'Container runtime socket connected from a container',
      c.argv(serveAndConnect('/run/app.sock')),
    );
  });
});

test('Terminal shell in a container', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await inContainer(async (c) => {
    // script(1) gives the shell a pseudo-terminal, as `docker exec -it` does.
    await r.fires(
      'Terminal shell in a container',
      c.argv(['/usr/bin/script', '-qec', '/bin/sh -c "exit 0"', '/dev/null']),
      { 'container.id': c.id },
    );
    await r.silent('Terminal shell in a container', c.argv(['/bin/sh', '-c', 'exit 0']));
  });
});

test('Privilege-changing call in a container', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const asNobody = (code: string): string[] => [
    '/usr/bin/setpriv',
    '--reuid=65534',
    '--regid=65534',
    '--clear-groups',
    '/usr/bin/python3',
    '-c',
    code,
  ];
  await inContainer(async (c) => {
    await r.fires(
      'Privilege-changing call in a container',
      c.argv(asNobody('import os\ntry: os.setuid(0)\nexcept OSError: pass')),
      { 'container.id': c.id, 'user.name': 'nobody' },
    );
    await r.silent('Privilege-changing call in a container', c.argv(asNobody('import os; os.setuid(65534)')));
  });
});

/** In the container: an overlay mount, then run a program written into it (upper layer) or from below it. */
const overlayRun = (d: string, which: 'dropped' | 'base'): string[] =>
  sh(
    `mkdir -p ${d}/l ${d}/u ${d}/w ${d}/m && cp /usr/bin/true ${d}/l/base && ` +
      `mount -t overlay overlay -o lowerdir=${d}/l,upperdir=${d}/u,workdir=${d}/w ${d}/m && ` +
      (which === 'dropped' ? `cp /usr/bin/true ${d}/m/dropped && exec ${d}/m/dropped` : `exec ${d}/m/base`),
  );

test('Program not in the image run in a container', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await inContainer(async (c) => {
    const d = join(dir, `ovl-${rand()}`);
    await r.fires('Program not in the image run in a container', c.argv(overlayRun(d, 'dropped')), {
      'container.id': c.id,
      'proc.exepath': `${d}/m/dropped`,
    });
    await r.silent(
      'Program not in the image run in a container',
      c.argv(overlayRun(join(dir, `ovl-${rand()}`), 'base')),
    );
  });
});
