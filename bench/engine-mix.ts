/**
 * The engine benchmarks' event mix: 60% openat, 25% execve, 10% connect, 3% dup2, 2% socket, over a
 * few programs, parents and files, a quarter of them in a container.
 */
import { sampleEvent } from '../src/engine/rule-tests/sample-event.js';
import { toEvent } from '../src/event/json.js';
import type { VigilEvent } from '../src/event/types.js';

const FILES = [
  '/etc/ld.so.cache',
  '/usr/lib/x86_64-linux-gnu/libc.so.6',
  '/etc/nsswitch.conf',
  '/etc/passwd',
  '/proc/self/status',
  '/var/lib/app/data.db',
  '/home/alice/.bashrc',
  '/tmp/build/out.o',
  '/var/log/app.log',
  '/etc/shadow',
];
const PROGRAMS: [string, string[]][] = [
  ['/usr/bin/ls', ['ls', '-la']],
  ['/usr/bin/cat', ['cat', 'README.md']],
  ['/usr/bin/git', ['git', 'status']],
  ['/usr/bin/python3.11', ['python3', 'manage.py', 'runserver']],
  ['/usr/bin/node', ['node', 'server.js']],
  ['/bin/sh', ['sh', '-c', 'make all']],
  ['/usr/bin/grep', ['grep', '-r', 'TODO', 'src']],
  ['/usr/bin/curl', ['curl', '-s', 'https://example.com']],
];
const PARENTS = [
  '/usr/bin/bash',
  '/usr/sbin/sshd',
  '/usr/bin/make',
  '/usr/sbin/nginx',
  '/usr/lib/systemd/systemd',
];

function build(n: number): VigilEvent[] {
  const events: VigilEvent[] = [];
  for (let i = 0; i < n; i++) {
    const [exe, args] = PROGRAMS[i % PROGRAMS.length];
    const ancestors = [0, 1, 2].map((k) => ({ exe: PARENTS[(i + k) % PARENTS.length] }));
    const container = i % 4 === 0 ? { container_id: 'b1946ac92492' } : {};
    const proc = { exe, args, ancestors, ...container };
    const r = i % 100;
    if (r < 60) {
      const name = FILES[i % FILES.length];
      const write = i % 7 === 0;
      events.push(
        sampleEvent({
          type: 'openat',
          ret: 3,
          args: { fd: 3, name, flags: write ? 'O_WRONLY|O_CREAT' : 'O_RDONLY|O_CLOEXEC' },
          rawargs: { flags: write ? 0o101 : 0o2000000 },
          fd: { num: 3, type: 'file', name },
          proc,
        }),
      );
    } else if (r < 85) {
      events.push(sampleEvent({ type: 'execve', args: { flags: 'EXE_LOWER_LAYER' }, proc }));
    } else if (r < 95) {
      const rip = i % 3 === 0 ? '10.0.0.5' : '93.184.216.34';
      events.push(
        sampleEvent({
          type: 'connect',
          fd: {
            num: 5,
            type: 'ipv4',
            name: `192.168.1.20:${40000 + (i % 1000)}->${rip}:443`,
            l4proto: 'tcp',
            lip: '192.168.1.20',
            lport: 40000 + (i % 1000),
            rip,
            rport: 443,
            is_server: false,
            connected: true,
          },
          proc,
        }),
      );
    } else if (r < 98) {
      events.push(
        sampleEvent({ type: 'dup2', ret: 1, fd: { num: 1, type: 'pipe', name: 'pipe:[77]' }, proc }),
      );
    } else {
      events.push(
        sampleEvent({ type: 'socket', ret: 4, args: { domain: 'AF_INET', type: 'SOCK_STREAM' }, proc }),
      );
    }
  }
  return events;
}

/** n distinct events, through the JSON reader, so they have the shapes `vigil replay` gives them. */
export function mix(n: number): VigilEvent[] {
  return build(n).map((e) => toEvent(JSON.parse(JSON.stringify(e))));
}
