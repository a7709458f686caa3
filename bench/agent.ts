/**
 * `vigil run` as a child process, as a user would run it (bundled rules, JSON
 * alerts on stdout), for the benchmarks that measure the whole agent. Runs the
 * compiled CLI when the bench runs from dist/, else the sources through tsx.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface Agent {
  child: ChildProcess;
  /** Called with every alert line of stdout (parsed), if set. */
  onAlert?: (
    alert: { rule: string; event: { ts: number; proc: { exe: string } } },
    receivedNs: bigint,
  ) => void;
  /** stderr so far (pino log lines). */
  log(): string;
  /** Resident set size of the agent now (bytes), from /proc. */
  rssBytes(): number;
  /** The agent's CPU time so far (user + system, seconds). */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export interface AgentOptions {
  /**
   * Extra config YAML (the sensors/outputs sections); metrics off unless given. Repeats are never
   * folded (engine.repeat_burst 0): the benches measure every alert's path.
   */
  configYaml?: string;
  args?: string[];
}

/** As in bin/vigil.js, deploy/systemd/vigil.service and the Dockerfile. */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=2'];

function cliCommand(): string[] {
  const here = fileURLToPath(import.meta.url);
  const fromTs = here.endsWith('.ts');
  const main = join(dirname(here), '..', 'src', 'cli', fromTs ? 'main.ts' : 'main.js');
  const code = `import(${JSON.stringify(pathToFileURL(main).href)}).then((m) => m.main(process.argv.slice(1)))`;
  // The node flags bin/vigil.js, the systemd unit and the image start the agent with.
  return [...AGENT_NODE_FLAGS, ...(fromTs ? ['--import', 'tsx'] : []), '-e', code];
}

/** Starts the agent and resolves once it logged `ready`. */
export async function startAgent(opts: AgentOptions = {}): Promise<Agent> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-agent-'));
  const config = join(dir, 'vigil.yaml');
  const noFold = 'engine:\n  repeat_burst: 0\n';
  writeFileSync(config, noFold + (opts.configYaml ?? 'metrics:\n  enabled: false\n'));
  chmodSync(config, 0o600);
  const args = [...cliCommand(), 'run', '--json', '--config', config, '--db', join(dir, 'alerts.db')];
  const child = spawn(process.execPath, [...args, ...(opts.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    // Keep the head (start-up lines) and the tail: a long run must not grow this string without bound.
    stderr = stderr.length > 1_000_000 ? stderr.slice(0, 100_000) + stderr.slice(-100_000) : stderr;
    stderr += d.toString();
  });
  let pending = '';
  const agent: Agent = {
    child,
    log: () => stderr,
    rssBytes: () => {
      const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    },
    cpuSeconds: () => procCpuSeconds(child.pid!),
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  child.stdout!.on('data', (d: Buffer) => {
    const now = process.hrtime.bigint();
    // One split per chunk: slicing the rest after each line is quadratic in a large chunk, and this
    // process's own delay counts in the latency it measures.
    const lines = (pending + d.toString()).split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (agent.onAlert && line.startsWith('{')) agent.onAlert(JSON.parse(line), now);
    }
  });
  const deadline = Date.now() + 120_000;
  while (!/"msg":"ready"/.test(stderr)) {
    if (child.exitCode !== null)
      throw new Error(`vigil run exited ${child.exitCode}: ${stderr.slice(-2000)}`);
    if (Date.now() > deadline) {
      await agent.stop();
      throw new Error(`vigil run not ready after 120 s: ${stderr.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return agent;
}

/** User + system CPU seconds of a process so far (0 once it is gone). */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/** The kernel's drop count the agent logged when it stopped (its `stopped` line). */
export function droppedAtStop(log: string): number | null {
  const m = /"dropped":(\d+),"records":\d+,"msg":"stopped"/.exec(log);
  return m ? Number(m[1]) : null;
}

/** The agent's Prometheus metrics text (metrics enabled on 127.0.0.1:port). */
export function scrapeMetrics(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A metric's value, summed over its label sets (NaN when absent). */
export function metric(text: string, name: string): number {
  const re = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm');
  let sum = NaN;
  for (const m of text.matchAll(re)) sum = (Number.isNaN(sum) ? 0 : sum) + Number(m[1]);
  return sum;
}
