/**
 * auditd for the overhead comparison: installed with apt when missing, started
 * if it is not running, given rules on the same syscalls the workload makes
 * (tagged with a key of their own), and afterwards left as found: our rules
 * deleted, the daemon stopped if we started it, the enabled flag and backlog
 * limit restored.
 *
 * One more thing needs restoring. Once audit has been enabled, the kernel gives
 * every new task audit's syscall work until reboot (audit_ever_enabled), even
 * with audit disabled again: every syscall of every later process takes the
 * slow path. Measured here: 200,000 open/close pairs 0.53 s on a fresh boot,
 * 0.61 s after one auditd round. That slowed the no-agent and vigil runs of
 * every later round (and any benchmark run later in the same boot) and hid
 * vigil's own slow-path cost in the ratios. A task rule `never` stops it for new
 * tasks; it is added when the daemon is stopped and removed before it starts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { procCpuSeconds } from './agent.js';

const KEY = 'vigil-bench';
/** The syscalls the workload makes that vigil's bundled rules watch too. */
const RULES = [
  ['-S', 'open,openat,openat2,creat'],
  ['-S', 'execve,execveat,clone,clone3,fork,vfork'],
  ['-S', 'connect,accept,accept4,bind,listen,socket'],
];

function auditctl(args: string[]): string {
  return execFileSync('auditctl', args, { encoding: 'utf8' });
}

function status(): Record<string, string> {
  return Object.fromEntries(
    auditctl(['-s'])
      .trim()
      .split('\n')
      .map((l) => l.split(' ', 2) as [string, string]),
  );
}

export interface Auditd {
  /** CPU seconds of auditd and the kernel's kauditd thread so far. */
  cpuSeconds(): number;
  stop(): void;
}

function kauditdPid(): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'kauditd') return Number(d);
    } catch {
      // gone
    }
  }
  return undefined;
}

export function ensureInstalled(): void {
  if (existsSync('/usr/sbin/auditd')) return;
  process.stderr.write('auditd is not installed: apt-get install -y auditd\n');
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'auditd'], { stdio: 'inherit' });
}

const NEVER_TASK = ['never,task'];

function hasNeverTask(): boolean {
  return auditctl(['-l'])
    .split('\n')
    .some((l) => l.trim() === '-a never,task');
}

export function startAuditd(): Auditd {
  ensureInstalled();
  // A `never,task` rule (ours, from an earlier stop) would keep every new task out of audit.
  if (hasNeverTask()) auditctl(['-d', ...NEVER_TASK]);
  const before = status();
  let startedPid: number | undefined;
  if (before.pid === '0') {
    execFileSync('/usr/sbin/auditd', [], { stdio: 'inherit' }); // daemonises; pid in /run/auditd.pid
    for (let i = 0; i < 50 && status().pid === '0'; i++) execFileSync('sleep', ['0.1']);
    startedPid = Number(readFileSync('/run/auditd.pid', 'utf8').trim());
  }
  auditctl(['-e', '1']);
  // Debian's default backlog (64) loses records under this load; a production setting.
  auditctl(['-b', '8192']);
  for (const r of RULES) auditctl(['-a', 'always,exit', '-F', 'arch=b64', ...r, '-k', KEY]);
  const pids = [Number(status().pid), kauditdPid()].filter((p): p is number => p !== undefined && p > 0);
  return {
    cpuSeconds: () => pids.reduce((sum, p) => sum + procCpuSeconds(p), 0),
    stop: () => {
      for (const r of RULES) auditctl(['-d', 'always,exit', '-F', 'arch=b64', ...r, '-k', KEY]);
      auditctl(['-b', before.backlog_limit ?? '64']);
      if (startedPid !== undefined) {
        process.kill(startedPid, 'SIGTERM');
        for (let i = 0; i < 50 && status().pid !== '0'; i++) execFileSync('sleep', ['0.1']);
      }
      auditctl(['-e', before.enabled ?? '0']);
      if (before.enabled !== '1' && !hasNeverTask()) auditctl(['-a', ...NEVER_TASK]);
    },
  };
}
