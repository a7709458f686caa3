/**
 * The C workload (bench/workload.c), compiled at bench time with `cc -O2` into a
 * private temporary directory, so that the timed work is syscalls, not an
 * interpreter.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/config/paths.js';

let compiled: string | undefined;

/** Path of the compiled workload (compiled once per process). */
export function workloadBinary(): string {
  if (compiled !== undefined) return compiled;
  const out = join(mkdtempSync(join(tmpdir(), 'vigil-bench-')), 'workload');
  execFileSync('cc', ['-O2', '-o', out, join(packageRoot(), 'bench', 'workload.c')], { stdio: 'inherit' });
  compiled = out;
  return out;
}

export interface WorkloadRun {
  /** Wall time. */
  seconds: number;
  /** The workload's own CPU time, children included (probes run in its context: their cost is here). */
  cpuSeconds: number;
  /** Its first line of output (rate: the pairs done). */
  firstLine: string;
}

/** Runs the workload; resolves with its wall and CPU seconds. */
export function runWorkload(args: string[]): Promise<WorkloadRun> {
  const bin = workloadBinary();
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = /^cpu ([0-9.]+)$/m.exec(stdout);
      if (code === 0 && cpu)
        resolve({ seconds, cpuSeconds: Number(cpu[1]), firstLine: stdout.split('\n')[0] });
      else reject(new Error(`workload ${args.join(' ')} exited ${code}`));
    });
  });
}
