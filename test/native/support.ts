/**
 * Shared by the addon tests: fixture objects (built by `make test-bpf` into build/test/), tracefs
 * (tracepoint attach reads event ids from it; the agent mounts it, these tests do the same), and
 * what bpftool says is in the kernel.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../../src/config/paths.js';
import { programsLeft } from '../support/bpf-programs.js';

/** Path of build/test/<name>.bpf.o. */
export function fixture(name: string): string {
  const path = join(packageRoot(), 'build', 'test', `${name}.bpf.o`);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`make test-bpf\``);
  return path;
}

export function ensureTracefs(): void {
  if (existsSync('/sys/kernel/tracing/events')) return;
  execFileSync('mount', ['-t', 'tracefs', 'tracefs', '/sys/kernel/tracing']);
}

interface BpftoolProg {
  id: number;
  name?: string;
}

interface BpftoolLink {
  id: number;
  prog_id: number;
}

function bpftool<T>(args: string[]): T {
  return JSON.parse(execFileSync('bpftool', ['--json', ...args], { encoding: 'utf8' })) as T;
}

/** Kernel ids of loaded programs with this name (the kernel keeps the first 15 characters). */
export function kernelProgramIds(name: string): number[] {
  const short = name.slice(0, 15);
  return bpftool<BpftoolProg[]>(['prog', 'show'])
    .filter((p) => p.name === short)
    .map((p) => p.id);
}

/** Which of these kernel program ids are still loaded once the kernel could free them. */
export async function stillLoaded(progIds: number[]): Promise<number[]> {
  return (await programsLeft((p) => progIds.includes(p.id))).map((p) => p.id);
}

/** Ids of the BPF links whose program is one of these. */
export function linksOfPrograms(progIds: number[]): number[] {
  return bpftool<BpftoolLink[]>(['link', 'show'])
    .filter((l) => progIds.includes(l.prog_id))
    .map((l) => l.id);
}

// perl starts in milliseconds where python3 can take seconds; both builtins are one syscall each.
const LOOP_SCRIPT = `
$| = 1;
my $burst = $ARGV[0] eq 'getpriority';
print "ready\\n";
while (my $line = <STDIN>) {
  chomp $line;
  my ($count, $marker) = split ' ', $line;
  my $r;
  if ($burst) { $r = getpriority(0, 0) for 1 .. $count } else { $r = getppid() for 1 .. $count }
  if (defined $marker) { open(my $fh, '>', $marker) or die "$marker: $!"; close $fh }
  print "done\\n";
}
`;

/**
 * A perl process that makes exactly the syscalls asked for, between `ready` and `done`
 * handshakes, so a BPF program filtering on its pid sees those calls and no others.
 */
export class SyscallLoop {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;

  private constructor(syscall: 'getppid' | 'getpriority') {
    this.child = spawn('perl', ['-e', LOOP_SCRIPT, syscall]);
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      this.lines.push(line);
      this.waiter?.();
    });
    this.child.on('exit', () => this.waiter?.());
  }

  static async start(syscall: 'getppid' | 'getpriority'): Promise<SyscallLoop> {
    const loop = new SyscallLoop(syscall);
    await loop.expect('ready');
    return loop;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Makes `count` calls and waits until they are done. */
  async run(count: number): Promise<void> {
    this.send(count);
    await this.done();
  }

  /** Starts `count` calls; when they are done the loop creates `marker` (if given) and says so. */
  send(count: number, marker?: string): void {
    this.child.stdin.write(marker === undefined ? `${count}\n` : `${count} ${marker}\n`);
  }

  done(): Promise<void> {
    return this.expect('done');
  }

  async stop(): Promise<void> {
    const exited = once(this.child, 'exit');
    this.child.stdin.end();
    await exited;
  }

  private async expect(line: string): Promise<void> {
    while (this.lines.length === 0) {
      if (this.child.exitCode !== null) throw new Error(`syscall loop exited with ${this.child.exitCode}`);
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    const got = this.lines.shift();
    if (got !== line) throw new Error(`syscall loop said ${got}, expected ${line}`);
  }
}
