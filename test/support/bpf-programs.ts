/**
 * What BPF programs the kernel holds, as bpftool lists them: for the tests that check that
 * closing an object, stopping the agent or running the doctor leaves nothing loaded.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const BPFTOOL = existsSync('/usr/sbin/bpftool') ? '/usr/sbin/bpftool' : 'bpftool';

export interface LoadedProgram {
  id: number;
  name?: string;
}

export function loadedPrograms(): LoadedProgram[] {
  const out = execFileSync(BPFTOOL, ['--json', 'prog', 'show'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(out) as LoadedProgram[];
}

export function loadedProgramIds(): Set<number> {
  return new Set(loadedPrograms().map((p) => p.id));
}

/**
 * The programs matching `pred` still loaded once the kernel has had its chance to free them: the
 * last reference goes at close() or exit, but the kernel frees a program after an RCU grace period
 * (deferred work), so it can show in bpftool for a moment. Polls up to 5 s; returns what is left.
 */
export async function programsLeft(pred: (p: LoadedProgram) => boolean): Promise<LoadedProgram[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const left = loadedPrograms().filter(pred);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}
