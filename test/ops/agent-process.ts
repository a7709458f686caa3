/** The real agent (`vigil run`) as a child process, for the tests that start it: started until it logs `ready`. */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { packageRoot } from '../../src/config/paths.js';
import { vigilCommand } from './cli.js';

export interface LogLine {
  msg?: string;
  listen?: string;
  [k: string]: unknown;
}

export interface RunningAgent {
  child: ChildProcess;
  /** http://host:port of its ops endpoint, as it logged it (undefined with metrics off). */
  base: string | undefined;
  /** Its log records so far (stderr, JSON lines). */
  logs: LogLine[];
  /** Everything it wrote to stderr. */
  stderr(): string;
  exited: Promise<number | null>;
}

/** A rule file with one rule that fires on an exec whose command line holds `marker`. */
export function writeMarkerRule(path: string, rule: string, marker: string): void {
  writeFileSync(
    path,
    [
      `- rule: ${rule}`,
      '  desc: an exec whose arguments carry the marker of this test',
      `  condition: evt.type = execve and proc.cmdline contains "${marker}"`,
      '  output: marker run (cmdline=%proc.cmdline)',
      '  priority: Notice',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
}

/** Starts `vigil <args>` and resolves once it logs `ready`; rejects if it exits first. */
export async function startAgent(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningAgent> {
  const [cmd, argv] = vigilCommand(args);
  const child = spawn(cmd, argv, {
    cwd: packageRoot(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logs: LogLine[] = [];
  let all = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      all += chunk;
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const rec = JSON.parse(line) as LogLine;
          logs.push(rec);
          if (rec.msg === 'ready') resolve();
        } catch {
          // not a log record
        }
      }
    });
    void exited.then((code) => reject(new Error(`agent exited with ${code} before ready:\n${all}`)));
  });
  const listen = logs.find((l) => typeof l.listen === 'string')?.listen;
  return { child, base: listen && `http://${listen}`, logs, stderr: () => all, exited };
}
