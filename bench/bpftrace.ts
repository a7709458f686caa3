/**
 * bpftrace as an anchor for `bench compare`: the floor of a tracepoint agent (counting the
 * workload's three syscalls in a kernel map) and a naive one (printing every event to a pipe
 * that this process drains). Installed with apt when missing.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { procCpuSeconds } from './agent.js';

const TPS = ['sys_enter_openat', 'sys_enter_execve', 'sys_enter_connect'].map(
  (t) => `tracepoint:syscalls:${t}`,
);

export const BPFTRACE_PROGRAMS = {
  count: `${TPS.join(',')} { @[probe] = count(); }`,
  print:
    `${TPS[0]} { printf("%d %s %s\\n", pid, comm, str(args->filename)); } ` +
    `${TPS[1]} { printf("%d %s %s\\n", pid, comm, str(args->filename)); } ` +
    `${TPS[2]} { printf("%d %s connect %d\\n", pid, comm, args->fd); }`,
} as const;

export interface Bpftrace {
  cpuSeconds(): number;
  stop(): Promise<void>;
}

function ensureInstalled(): void {
  if (existsSync('/usr/bin/bpftrace')) return;
  process.stderr.write('bpftrace is not installed: apt-get install -y bpftrace\n');
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'bpftrace'], { stdio: 'inherit' });
}

/** Starts bpftrace with one of the programs; resolves once its probes are attached. */
export function startBpftrace(kind: keyof typeof BPFTRACE_PROGRAMS): Promise<Bpftrace> {
  ensureInstalled();
  const child: ChildProcess = spawn('bpftrace', ['-e', BPFTRACE_PROGRAMS[kind]], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    let attached = false;
    child.stdout!.on('data', (d: Buffer) => {
      if (!attached && d.toString().includes('Attaching')) {
        attached = true;
        resolve({
          cpuSeconds: () => procCpuSeconds(child.pid!),
          stop: async () => {
            child.kill('SIGINT');
            await exited;
          },
        });
      }
    });
    void exited.then(() => {
      if (!attached) reject(new Error(`bpftrace exited before attaching: ${stderr}`));
    });
  });
}
