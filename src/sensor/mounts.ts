/**
 * The pseudo-filesystems the sensors need, mounted when missing (they are not
 * mounted at boot on some hosts): tracefs (syscall tracepoint ids), securityfs
 * (the LSM list) and bpffs (pinning). mount(8) runs with a fixed argv, no shell.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { mounts } from './kernel-features.js';

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
    const existing = mounts().find((m) => m.type === type);
    if (existing) {
      out.push({ type, target: existing.target, state: 'present' });
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
