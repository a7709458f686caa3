/**
 * Falco's stable ruleset (../shared/falco/falco_rules.yaml, read in place, never copied), loaded
 * instead of the bundled rules: each of its rules that can apply on this host or in the stand-in
 * container is triggered by the real action and fires with Falco's output fields; a benign twin
 * stays silent. Rules that cannot apply here are listed in docs/ruleset.md and skipped with the reason.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import type { Alert } from '../../src/event/alert.js';
import { eventToJson } from '../../src/event/json.js';
import type { VigilEvent } from '../../src/event/types.js';
import { loadRuleset } from '../../src/engine/load-ruleset.js';
import type { Ruleset } from '../../src/engine/ruleset.js';
import { liveSensor } from '../live/harness.js';
import { StandInContainer } from '../support/container.js';
import { atRealPath, bash, perl, py, rand, RuleRunner, scratch, sh, toolCopy } from './support.js';
import { FALCO_RULES, falcoRulesMissing } from '../support/falco.js';
import { replayWithHosts as replayInNamespace } from '../support/replay.js';

const dir = scratch('falco');
after(() => rmSync(dir, { recursive: true, force: true }));

let rules: Ruleset | undefined;
async function falco(t: TestContext): Promise<RuleRunner | null> {
  if (falcoRulesMissing() !== null) {
    t.skip(`${FALCO_RULES} is not on this machine`);
    return null;
  }
  const live = await liveSensor(t);
  if (!live) return null;
  return new RuleRunner(live, (rules ??= loadRuleset([FALCO_RULES], 'all')));
}

async function inContainer(fn: (c: StandInContainer) => Promise<void>): Promise<void> {
  const c = StandInContainer.create();
  try {
    await fn(c);
  } finally {
    c.remove();
  }
}

async function listen(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.on('error', () => {}).end());
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return { server, port: (server.address() as { port: number }).port };
}

test('Falco: Directory traversal monitored file read', async (t) => {
  const r = await falco(t);
  if (!r) return;
  await r.fires('Directory traversal monitored file read', ['/usr/bin/cat', '/etc/../etc/../etc/shadow'], {
    'fd.name': '/etc/shadow',
    'fd.nameraw': '/etc/../etc/../etc/shadow',
  });
  await r.silent('Directory traversal monitored file read', ['/usr/bin/cat', '/etc/shadow']);
});

test('Falco: Read sensitive file untrusted', async (t) => {
  const r = await falco(t);
  if (!r) return;
  await r.fires('Read sensitive file untrusted', ['/usr/bin/cat', '/etc/shadow'], {
    'fd.name': '/etc/shadow',
    'proc.name': 'cat',
  });
  await r.silent('Read sensitive file untrusted', ['/usr/bin/cat', '/etc/hostname']);
});

test('Falco: Read sensitive file trusted after startup', async (t) => {
  const r = await falco(t);
  if (!r) return;
  // A server (perl under nginx's name) that reads /etc/shadow once it has run for more than 5 s.
  const nginx = toolCopy(dir, 'nginx', '/usr/bin/perl');
  await r.fires(
    'Read sensitive file trusted after startup',
    [nginx, '-e', 'sleep 6; open(my $f, "<", "/etc/shadow") or die'],
    { 'fd.name': '/etc/shadow' },
  );
  await r.silent('Read sensitive file trusted after startup', [
    nginx,
    '-e',
    'open(my $f, "<", "/etc/shadow") or die',
  ]);
});

test('Falco: Run shell untrusted', async (t) => {
  const r = await falco(t);
  if (!r) return;
  const srv = toolCopy(dir, 'nginx', '/usr/bin/dash');
  await r.fires('Run shell untrusted', [srv, '-c', '/usr/bin/bash -c "exit 0"; true'], {
    'proc.pname': 'nginx',
  });
  await r.silent('Run shell untrusted', [srv, '-c', '/usr/bin/true; true']);
});

test('Falco: Terminal shell in container', async (t) => {
  const r = await falco(t);
  if (!r) return;
  // script(1) under the runtime's name gives the shell a terminal, as runc does for `exec -it`.
  const runc = toolCopy(dir, 'runc', '/usr/bin/script');
  await inContainer(async (c) => {
    await r.fires('Terminal shell in container', c.argv([runc, '-qec', '/bin/sh -c "exit 0"', '/dev/null']), {
      'evt.type': 'execve',
    });
    await r.silent('Terminal shell in container', c.argv(['/bin/sh', '-c', 'exit 0']));
  });
});

test('Falco: Netcat Remote Code Execution in Container', async (t) => {
  const r = await falco(t);
  if (!r) return;
  const nc = toolCopy(dir, 'nc');
  await inContainer(async (c) => {
    await r.fires(
      'Netcat Remote Code Execution in Container',
      c.argv([nc, '-e', '/bin/sh', '127.0.0.1', '9']),
      {
        'proc.name': 'nc',
      },
    );
    await r.silent('Netcat Remote Code Execution in Container', c.argv([nc, '-z', '127.0.0.1', '9']));
  });
});

test('Falco: Search Private Keys or Passwords', async (t) => {
  const r = await falco(t);
  if (!r) return;
  await r.fires('Search Private Keys or Passwords', ['/usr/bin/grep', '-rl', 'BEGIN RSA PRIVATE', dir], {
    'proc.name': 'grep',
  });
  await r.silent('Search Private Keys or Passwords', ['/usr/bin/grep', '-rl', 'hello', dir]);
});

test('Falco: Clear Log Activities', async (t) => {
  const r = await falco(t);
  if (!r) return;
  await atRealPath(`/var/log/vigil-test-${rand()}.log`, async (p) => {
    writeFileSync(p, 'line\n');
    await r.fires('Clear Log Activities', sh(`: > ${p}`), { 'fd.name': p });
    await r.silent('Clear Log Activities', sh(`echo more >> ${p}`));
  });
});

test('Falco: Remove Bulk Data from Disk', async (t) => {
  const r = await falco(t);
  if (!r) return;
  const f = join(dir, `data-${rand()}`);
  writeFileSync(f, 'secret\n');
  await r.fires('Remove Bulk Data from Disk', ['/usr/bin/shred', '-u', f], { 'proc.name': 'shred' });
  await r.silent('Remove Bulk Data from Disk', ['/usr/bin/rm', '-f', join(dir, 'none')]);
});

test('Falco: Create Symlink Over Sensitive Files', async (t) => {
  const r = await falco(t);
  if (!r) return;
  await r.fires(
    'Create Symlink Over Sensitive Files',
    ['/usr/bin/ln', '-s', '/etc/shadow', join(dir, `s-${rand()}`)],
    {
      'evt.arg.target': '/etc/shadow',
    },
  );
  await r.silent('Create Symlink Over Sensitive Files', [
    '/usr/bin/ln',
    '-s',
    '/etc/hostname',
    join(dir, `h-${rand()}`),
  ]);
});

test('Falco: Create Hardlink Over Sensitive Files', async (t) => {
  const r = await falco(t);
  if (!r) return;
  // Same file system as /etc: a hard link cannot cross devices.
  await atRealPath(`/etc/vigil-test-link-${rand()}`, async (p) => {
    await r.fires('Create Hardlink Over Sensitive Files', ['/usr/bin/ln', '/etc/shadow', p], {
      'evt.arg.oldpath': '/etc/shadow',
    });
  });
  await atRealPath(`/etc/vigil-test-link-${rand()}`, async (p) => {
    await r.silent('Create Hardlink Over Sensitive Files', ['/usr/bin/ln', '/etc/hostname', p]);
  });
});

test('Falco: Packet socket created in container', async (t) => {
  const r = await falco(t);
  if (!r) return;
  await inContainer(async (c) => {
    await r.fires(
      'Packet socket created in container',
      c.argv(py(`import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW).close()`)),
      { 'evt.type': 'socket' },
    );
    await r.silent(
      'Packet socket created in container',
      c.argv(py(`import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()`)),
    );
  });
});

test('Falco: Redirect STDOUT/STDIN to Network Connection in Container', async (t) => {
  const r = await falco(t);
  if (!r) return;
  const { server, port } = await listen();
  try {
    await inContainer(async (c) => {
      await r.fires(
        'Redirect STDOUT/STDIN to Network Connection in Container',
        c.argv(bash(`exec 3<>/dev/tcp/127.0.0.1/${port}; exec 1>&3; echo hi`)),
        { 'evt.type': 'dup2' },
      );
      await r.silent(
        'Redirect STDOUT/STDIN to Network Connection in Container',
        c.argv(bash('exec 3>/dev/null; exec 1>&3; echo hi')),
      );
    });
  } finally {
    server.close();
  }
});

test('Falco: Linux Kernel Module Injection Detected', async (t) => {
  const r = await falco(t);
  if (!r) return;
  await inContainer(async (c) => {
    await r.fires(
      'Linux Kernel Module Injection Detected',
      c.argv(perl(`open(my $f, '<', '/dev/null'); my $a = ""; syscall(313, fileno($f), $a, 0);`)),
      { 'evt.type': 'finit_module' },
    );
    await r.silent('Linux Kernel Module Injection Detected', c.argv(perl('syscall(39);')));
  });
});

test('Falco: Detect release_agent File Container Escapes', async (t) => {
  const r = await falco(t);
  if (!r) return;
  const mnt = `/mnt`;
  const withHierarchy = (code: string): string[] =>
    sh(`mount -t cgroup -o none,name=vigil${rand()} cgroup ${mnt} && exec /usr/bin/python3 -c "${code}"`);
  await inContainer(async (c) => {
    await r.fires(
      'Detect release_agent File Container Escapes',
      c.argv(withHierarchy(`open('${mnt}/release_agent', 'a').close()`)),
      {
        'fd.name': `${mnt}/release_agent`,
      },
    );
    await r.silent(
      'Detect release_agent File Container Escapes',
      c.argv(withHierarchy(`open('${mnt}/release_agent').close()`)),
    );
  });
});

/* os.kill, not p.kill(): see ptraceSleeper in privilege-escalation.live.test.ts. */
const ptrace = (request: number, child: boolean): string[] =>
  py(
    `import ctypes, os, subprocess\nlibc = ctypes.CDLL(None, use_errno=True)\n` +
      `libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]\n` +
      (child
        ? `p = subprocess.Popen(['/usr/bin/sleep', '30'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n` +
          `try:\n  libc.ptrace(${request}, p.pid, None, None)\nfinally:\n  os.kill(p.pid, 9); p.wait()`
        : `libc.ptrace(${request}, 0, None, None)`),
  );

test('Falco: PTRACE attached to process', async (t) => {
  const r = await falco(t);
  if (!r) return;
  await r.fires('PTRACE attached to process', ptrace(16, true), { 'evt.type': 'ptrace' });
  await r.silent('PTRACE attached to process', ptrace(2, true));
});

test('Falco: PTRACE anti-debug attempt', async (t) => {
  const r = await falco(t);
  if (!r) return;
  await r.fires('PTRACE anti-debug attempt', ptrace(0, false), { 'evt.type': 'ptrace' });
  await r.silent('PTRACE anti-debug attempt', ptrace(2, true));
});

test('Falco: Find AWS Credentials', async (t) => {
  const r = await falco(t);
  if (!r) return;
  mkdirSync(join(dir, '.aws'), { recursive: true });
  await r.fires('Find AWS Credentials', ['/usr/bin/find', dir, '-path', '*/.aws/credentials'], {
    'proc.name': 'find',
  });
  await r.silent('Find AWS Credentials', ['/usr/bin/find', dir, '-name', 'notes.txt']);
});

test('Falco: Execution from /dev/shm', async (t) => {
  const r = await falco(t);
  if (!r) return;
  await atRealPath(`/dev/shm/vigil-test-${rand()}`, async (p) => {
    toolCopy('/dev/shm', p.slice('/dev/shm/'.length));
    await r.fires('Execution from /dev/shm', [p], { 'proc.exepath': p });
  });
  await r.silent('Execution from /dev/shm', [toolCopy(dir, 'true')]);
});

test('Falco: Fileless execution via memfd_create', async (t) => {
  const r = await falco(t);
  if (!r) return;
  await r.fires(
    'Fileless execution via memfd_create',
    py(
      `import os\nfd = os.memfd_create('payload', 0)\nos.write(fd, open('/usr/bin/true', 'rb').read())\n` +
        `os.execv('/proc/self/fd/%d' % fd, ['payload'])`,
    ),
    { 'evt.type': 'execve' },
  );
  await r.silent('Fileless execution via memfd_create', py(`import os; os.execv('/usr/bin/true', ['true'])`));
});

test('Falco: Drop and execute new binary in container', async (t) => {
  const r = await falco(t);
  if (!r) return;
  const run = (d: string, which: 'dropped' | 'base'): string[] =>
    sh(
      `mkdir -p ${d}/l ${d}/u ${d}/w ${d}/m && cp /usr/bin/true ${d}/l/base && ` +
        `mount -t overlay overlay -o lowerdir=${d}/l,upperdir=${d}/u,workdir=${d}/w ${d}/m && ` +
        (which === 'dropped' ? `cp /usr/bin/true ${d}/m/dropped && exec ${d}/m/dropped` : `exec ${d}/m/base`),
    );
  await inContainer(async (c) => {
    await r.fires(
      'Drop and execute new binary in container',
      c.argv(run(join(dir, `ovl-${rand()}`), 'dropped')),
      {
        'evt.type': 'execve',
      },
    );
    await r.silent(
      'Drop and execute new binary in container',
      c.argv(run(join(dir, `ovl-${rand()}`), 'base')),
    );
  });
});

// The rule compares fd.sip.name with kubernetes.default.svc.cluster.local, which resolves only inside a
// cluster. The real connect of a container process is recorded here, then replayed by `vigil replay` in
// a private mount namespace whose /etc/hosts (a bind mount seen by that process alone) gives the name
// the address the process connected to, as a pod's resolver gives the API server's. The host's
// /etc/hosts is never touched.
test('Falco: Contact K8S API Server From Container', async (t) => {
  const r = await falco(t);
  if (!r) return;
  const { server, port } = await listen();
  try {
    const connectOf = (out: { events: VigilEvent[] }): VigilEvent => {
      const ev = out.events.find((e) => e.type === 'connect' && e.fd?.rport === port);
      assert.ok(ev, `no connect to port ${port} among ${out.events.length} events`);
      return ev;
    };
    let attack: VigilEvent | undefined;
    await inContainer(async (c) => {
      attack = connectOf(await r.run(c.argv(bash(`exec 3<>/dev/tcp/127.0.0.1/${port}; echo hi >&3`))));
    });
    // The twin: the same connection from the host.
    const benign = connectOf(await r.run(bash(`exec 3<>/dev/tcp/127.0.0.1/${port}; echo hi >&3`)));
    // Without the cluster's name resolution, nothing fires here.
    assert.deepEqual(
      r.rules.evaluate(attack!).map((x) => x.name),
      [],
    );
    const alerts = replayWithHosts(`127.0.0.1 kubernetes.default.svc.cluster.local\n`, [attack!, benign]);
    assert.deepEqual(
      alerts.map((a) => [a.rule, a.event.proc.container_id !== '']),
      [['Contact K8S API Server From Container', true]],
    );
    assert.equal(alerts[0].output_fields['fd.name'], attack!.fd!.name);
    assert.equal(alerts[0].output_fields['fd.rport'], port);
  } finally {
    server.close();
  }
});

/** `vigil replay` of these events with Falco's rules, in a mount namespace of its own whose /etc/hosts is `hosts`. */
function replayWithHosts(hosts: string, events: VigilEvent[]): Alert[] {
  const work = join(dir, `k8s-${rand()}`);
  mkdirSync(work);
  const hostsFile = join(work, 'hosts');
  writeFileSync(hostsFile, `127.0.0.1 localhost\n${hosts}`);
  const eventsFile = join(work, 'events.jsonl');
  writeFileSync(eventsFile, events.map((e) => `${eventToJson(e)}\n`).join(''));
  return replayInNamespace(hostsFile, eventsFile, [FALCO_RULES]);
}

test('Falco rules that cannot apply on this host', (t) => {
  // Named so the report is complete; each needs something this host does not have.
  t.todo(
    'System user interactive (a system user logged in through sshd/login), Debugfs Launched in Privileged ' +
      'Container (runtime metadata: privileged), Disallowed SSH Connection Non Standard Port (a non-loopback peer)',
  );
});
