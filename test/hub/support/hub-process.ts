/** `vigil hub` as a child process (the real command), SQLite under `stateDir`, on a loopback port. */
import { spawn } from 'node:child_process';
import { packageRoot } from '../../../src/config/paths.js';
import { vigilCommand } from '../../ops/cli.js';
import { TOKEN } from './hub-fixture.js';

export interface HubProcess {
  /** http://127.0.0.1:PORT/ as the hub logged it. */
  base: string;
  stop(): Promise<void>;
}

/** Starts `vigil hub` and resolves once it logs `hub ready`; rejects if it exits first. */
export async function startHubProcess(natsUrl: string, stateDir: string): Promise<HubProcess> {
  const [cmd, argv] = vigilCommand([
    'hub',
    '--listen',
    '127.0.0.1:0',
    '--nats',
    natsUrl,
    '--state-dir',
    stateDir,
  ]);
  const child = spawn(cmd, argv, {
    cwd: packageRoot(),
    env: { ...process.env, VIGIL_HUB_TOKEN: TOKEN },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let all = '';
  const base = await new Promise<string>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      all += chunk;
      const m = /"console":"(http:\/\/[^"]+)".*"msg":"hub ready"/.exec(all);
      if (m) resolve(m[1]);
    });
    void exited.then(() => reject(new Error(`vigil hub exited before ready:\n${all}`)));
  });
  return {
    base: base.replace(/\/$/, ''),
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
