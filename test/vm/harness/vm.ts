/**
 * Runs one command in a throw-away VM: a Debian guest kernel under qemu TCG (KVM is unusable on
 * these machines, see /work/shared/VM-NOTES.md), one CPU, no network device (loopback only),
 * the host's / shared read-only as the guest's root (so /work/main, node and node_modules are at
 * the same paths) with a tmpfs overlay, and a second, writable share that carries the command,
 * its output and its exit status. A timeout kills the VM.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../../src/config/paths.js';
import { ensureInitramfs } from './initramfs.js';
import { ensureKernel, type GuestKernel } from './kernel.js';
import { FileTail, TailBuffer } from './tail.js';

export const QEMU = 'qemu-system-x86_64';
export const QBOOT = '/usr/share/qemu/qboot.rom';
/** Kept explicit although Debian's built-in list already ends in bpf. */
export const GUEST_LSM = 'lockdown,capability,landlock,yama,bpf';
const POLL_MS = 250;
const OUTPUT_LIMIT = 16 << 20;
const CONSOLE_LIMIT = 64 << 10;

export interface VmRunOptions {
  /** Kernel series: '6.1', '6.12'. */
  kernel: string;
  /** argv, run without a shell in the guest. */
  command: string[];
  /** Working directory in the guest; default the repository root. */
  cwd?: string;
  /** Added to the guest command's environment (PATH, HOME, LANG, TERM, VIGIL_VM_* are set). */
  env?: Record<string, string>;
  /** Default 5 minutes. */
  timeoutMs?: number;
  /** Guest memory, default 1024 MiB. */
  memoryMb?: number;
  /** Live copies of the command's output while the guest runs. */
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  /** Progress lines (downloads). */
  log?: (line: string) => void;
}

export interface VmResult {
  kernel: GuestKernel;
  /** The command's exit status; null when it never reported one (timeout, boot failure). */
  status: number | null;
  timedOut: boolean;
  /** At most 16 MiB each (the end is kept). */
  stdout: string;
  stderr: string;
  /** The serial console: kernel messages, init's errors, qemu's own stderr (last 64 KiB). */
  console: string;
  /** From qemu's start to its exit. */
  durationMs: number;
}

/** POSIX shell single quoting: the only character that needs care is the quote itself. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The script the guest's init runs (with /bin/sh, chrooted in the guest root). */
export function commandScript(command: string[], cwd: string, env: Record<string, string>): string {
  if (command.length === 0) throw new Error('empty command');
  const lines = ['# written by test/vm/harness/vm.ts', `cd ${shellQuote(cwd)} || exit 126`];
  for (const [name, value] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`bad environment variable name ${name}`);
    lines.push(`export ${name}=${shellQuote(value)}`);
  }
  lines.push(`exec ${command.map(shellQuote).join(' ')}`);
  return lines.join('\n') + '\n';
}

/** VIGIL_VM_LOGLEVEL=7 puts every kernel message on the console (the result's `console`). */
export function kernelCommandLine(): string {
  return [
    'console=ttyS0',
    'panic=-1',
    process.env.VIGIL_VM_LOGLEVEL ? `loglevel=${process.env.VIGIL_VM_LOGLEVEL}` : 'loglevel=4',
    `lsm=${GUEST_LSM}`,
    'rdinit=/init',
  ].join(' ');
}

export function qemuArgs(
  kernel: GuestKernel,
  initramfs: string,
  results: string,
  memoryMb: number,
): string[] {
  return [
    '-nodefaults',
    '-no-user-config',
    '-accel',
    'tcg',
    // Measured: node starts ~3x faster on `max` than on the default qemu64 model under TCG.
    '-cpu',
    'max',
    '-smp',
    '1',
    '-m',
    String(memoryMb),
    '-bios',
    QBOOT,
    '-kernel',
    kernel.vmlinux,
    '-initrd',
    initramfs,
    '-append',
    kernelCommandLine(),
    '-display',
    'none',
    '-monitor',
    'none',
    '-serial',
    `file:${join(results, 'console.log')}`,
    '-no-reboot',
    '-virtfs',
    'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    '-virtfs',
    `local,path=${results},mount_tag=results,security_model=none`,
  ];
}

const running = new Set<ReturnType<typeof spawn>>();
let exitHook = false;

export async function runInVm(options: VmRunOptions): Promise<VmResult> {
  if (!existsSync(QBOOT)) throw new Error(`${QBOOT} is missing: install qemu-system-x86`);
  const kernel = await ensureKernel(options.kernel, { log: options.log });
  const initramfs = ensureInitramfs(kernel);
  const results = mkdtempSync(join(tmpdir(), 'vigil-vm-'));
  try {
    // qemu splits -virtfs and -serial values at commas.
    if (results.includes(',')) throw new Error(`the results directory ${results} holds a comma (TMPDIR)`);
    const env = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: '/root',
      LANG: 'C.UTF-8',
      TERM: 'dumb',
      VIGIL_VM_SERIES: kernel.series,
      VIGIL_VM_RELEASE: kernel.release,
      VIGIL_VM_KERNEL_CONFIG: kernel.config,
      ...options.env,
    };
    writeFileSync(
      join(results, 'command.sh'),
      commandScript(options.command, options.cwd ?? packageRoot(), env),
    );
    return await boot(kernel, initramfs, results, options);
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
}

function boot(
  kernel: GuestKernel,
  initramfs: string,
  results: string,
  options: VmRunOptions,
): Promise<VmResult> {
  const started = Date.now();
  const qemu = spawn(QEMU, qemuArgs(kernel, initramfs, results, options.memoryMb ?? 1024), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(qemu);
  if (!exitHook) {
    // A VM never outlives the process that started it.
    process.once('exit', () => running.forEach((vm) => vm.kill('SIGKILL')));
    exitHook = true;
  }
  const qemuOutput = new TailBuffer(CONSOLE_LIMIT);
  qemu.stdout.on('data', (chunk: Buffer) => qemuOutput.push(chunk));
  qemu.stderr.on('data', (chunk: Buffer) => qemuOutput.push(chunk));
  const stdout = new TailBuffer(OUTPUT_LIMIT);
  const stderr = new TailBuffer(OUTPUT_LIMIT);
  const tails = [
    { tail: new FileTail(join(results, 'stdout')), keep: stdout, live: options.onStdout },
    { tail: new FileTail(join(results, 'stderr')), keep: stderr, live: options.onStderr },
  ];
  const drain = () => {
    for (const { tail, keep, live } of tails) {
      const chunk = tail.read();
      if (chunk.length === 0) continue;
      keep.push(chunk);
      live?.(chunk.toString('utf8'));
    }
  };
  const poll = setInterval(drain, POLL_MS);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    qemu.kill('SIGKILL');
  }, options.timeoutMs ?? 300_000);

  return new Promise((resolve, reject) => {
    qemu.on('error', (err) => {
      clearInterval(poll);
      clearTimeout(timer);
      running.delete(qemu);
      reject(err);
    });
    qemu.on('close', () => {
      clearInterval(poll);
      clearTimeout(timer);
      running.delete(qemu);
      drain();
      const statusFile = join(results, 'status');
      const statusText = existsSync(statusFile) ? readFileSync(statusFile, 'utf8').trim() : '';
      const consoleFile = join(results, 'console.log');
      const consoleLog = new TailBuffer(CONSOLE_LIMIT);
      if (existsSync(consoleFile)) consoleLog.push(readFileSync(consoleFile));
      const qemuText = qemuOutput.text();
      resolve({
        kernel,
        status: /^\d+$/.test(statusText) ? Number(statusText) : null,
        timedOut,
        stdout: stdout.text(),
        stderr: stderr.text(),
        console: consoleLog.text() + (qemuText ? `\n[qemu]\n${qemuText}` : ''),
        durationMs: Date.now() - started,
      });
    });
  });
}
