/** Runs the `vigil` CLI as a child: the compiled one under `make test`, through tsx in development. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../../src/config/paths.js';

export function vigilCommand(args: string[]): [string, string[]] {
  const root = packageRoot();
  if (fileURLToPath(import.meta.url).includes('/dist/')) {
    return [process.execPath, [join(root, 'bin', 'vigil.js'), ...args]];
  }
  const main = join(root, 'src', 'cli', 'main.ts');
  const script = `import(${JSON.stringify(main)}).then((m) => m.main(${JSON.stringify(args)}))`;
  return [process.execPath, ['--import', 'tsx', '-e', script]];
}

export interface VigilRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Runs `vigil ...args` in a child to completion, from the package root. */
export function runVigil(args: string[], env: NodeJS.ProcessEnv = {}): Promise<VigilRun> {
  const [cmd, argv] = vigilCommand(args);
  const child = spawn(cmd, argv, {
    cwd: packageRoot(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
}
