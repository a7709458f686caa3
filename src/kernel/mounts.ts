/**
 * The host's mounts, and the pseudo-filesystems the sensors need, mounted when missing (they are
 * not mounted at boot on some hosts): tracefs (syscall tracepoint ids), securityfs (the LSM list)
 * and bpffs (pinning). mount(8) runs with a fixed argv, no shell.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';

export interface Mount {
  source: string;
  target: string;
  type: string;
}

/** /proc/self/mounts, parsed ([] when it cannot be read). */
export function mounts(): Mount[] {
  let text = '';
  try {
    text = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    // no procfs: no mounts known
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [source, target, type] = l.split(' ');
      // /proc/self/mounts escapes spaces and friends as octal.
      return {
        source,
        target: target.replace(/\\(\d{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))),
        type,
      };
    });
}

/** Where a filesystem of this type is mounted, or null. */
export function mountOf(type: string): string | null {
  return mounts().find((m) => m.type === type)?.target ?? null;
}

/** Mounts a filesystem of this type at `target` unless one is mounted already; where it is. */
export async function ensureMounted(type: string, target: string): Promise<string | null> {
  const found = mountOf(type);
  if (found) return found;
  await promisify(execFile)('mount', ['-t', type, type, target]);
  return mountOf(type);
}

export const NEEDED_MOUNTS = [
  { type: 'tracefs', target: '/sys/kernel/tracing' },
  { type: 'securityfs', target: '/sys/kernel/security' },
  { type: 'bpf', target: '/sys/fs/bpf' },
] as const;

export interface MountResult {
  type: string;
  target: string;
  /** 'present' (already mounted somewhere), 'mounted' (now), or why it could not be. */
  state: 'present' | 'mounted' | string;
}

export async function ensureMounts(needed = NEEDED_MOUNTS): Promise<MountResult[]> {
  const out: MountResult[] = [];
  for (const { type, target } of needed) {
    const existing = mountOf(type);
    if (existing) {
      out.push({ type, target: existing, state: 'present' });
      continue;
    }
    if (!existsSync(target)) {
      out.push({ type, target, state: `${target} does not exist` });
      continue;
    }
    try {
      await promisify(execFile)('mount', ['-t', type, type, target]);
      out.push({ type, target, state: 'mounted' });
    } catch (err) {
      out.push({ type, target, state: `mount failed: ${(err as Error).message.split('\n')[0]}` });
    }
  }
  return out;
}
