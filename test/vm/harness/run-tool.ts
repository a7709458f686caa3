/**
 * Runs a host tool (apt-get, dpkg-deb, xz, qemu's helpers) with a fixed argv and no shell. Output is
 * kept up to a bound so a chatty tool cannot grow memory; a non-zero exit rejects with its stderr.
 */
import { spawn, type SpawnOptions } from 'node:child_process';

const KEEP_BYTES = 1 << 20;

export interface ToolResult {
  stdout: string;
  stderr: string;
}

export function runTool(file: string, args: string[], options: SpawnOptions = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '' };
    const keep = (key: keyof ToolResult) => (chunk: Buffer) => {
      if (out[key].length < KEEP_BYTES) out[key] += chunk.toString('utf8', 0, KEEP_BYTES - out[key].length);
    };
    child.stdout?.on('data', keep('stdout'));
    child.stderr?.on('data', keep('stderr'));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${file} ${args.join(' ')}: exit ${code ?? signal}\n${out.stderr.trim()}`));
    });
  });
}
