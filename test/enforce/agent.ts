/**
 * A real `vigil run` for the enforcement tests: its own rules file, JSON alerts collected from
 * stdout, `ready` awaited on stderr. From dist/ it runs bin/vigil.js; from the .ts sources (tsx),
 * src/cli/main.ts through tsx.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { createInterface } from 'node:readline';
import { after, before } from 'node:test';
import { packageRoot } from '../../src/config/paths.js';
import type { Alert } from '../../src/event/alert.js';
import { liveUnavailable } from '../support/live.js';

export function vigilArgv(args: string[]): string[] {
  if (import.meta.url.endsWith('.ts')) {
    const main = join(packageRoot(), 'src/cli/main.ts');
    const code = `import(${JSON.stringify(main)}).then((m) => m.main(${JSON.stringify(args)}))`;
    return ['--import', 'tsx', '-e', code];
  }
  return [join(packageRoot(), 'bin/vigil.js'), ...args];
}

export interface Ran {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
}

/** Runs a program to its end: its pid, how it ended and what it printed (stderr ignored). */
export function runChild(cmd: string, args: string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ pid: child.pid!, code, signal, stdout }));
  });
}

export async function waitFor(
  done: () => boolean,
  what: string,
  log = (): string => '',
  ms = 30_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${log()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export class Agent {
  readonly alerts: Alert[] = [];
  stderr = '';
  private constructor(
    readonly dir: string,
    private readonly child: ChildProcess,
  ) {}

  /**
   * `config`: YAML appended to the config file (which turns metrics off, or with `metrics` on a
   * free loopback port: metricsUrl); `readyMs`: start-up bound.
   */
  static async start(
    rules: string,
    extra: string[],
    config = '',
    readyMs = 30_000,
    metrics = false,
  ): Promise<Agent> {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-enforce-agent-'));
    writeFileSync(join(dir, 'rules.yaml'), rules, { mode: 0o644 });
    const ops = metrics ? 'metrics:\n  listen: 127.0.0.1:0\n' : 'metrics:\n  enabled: false\n';
    writeFileSync(join(dir, 'config.yaml'), `${ops}${config}`, { mode: 0o644 });
    const args = ['run', '--json', '--config', join(dir, 'config.yaml'), '--rules', join(dir, 'rules.yaml')];
    const child = spawn(process.execPath, vigilArgv([...args, '--db', join(dir, 'a.db'), ...extra]), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const a = new Agent(dir, child);
    createInterface({ input: child.stdout! }).on('line', (l) => a.alerts.push(JSON.parse(l) as Alert));
    child.stderr!.on('data', (d: Buffer) => (a.stderr += d.toString()));
    await waitFor(
      () => /"msg":"ready"/.test(a.stderr) || child.exitCode !== null,
      'the agent to be ready',
      () => a.stderr,
      readyMs,
    );
    if (child.exitCode !== null) throw new Error(`the agent exited ${child.exitCode}:\n${a.stderr}`);
    return a;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The metrics and health endpoints' base URL, from the log (started with `metrics`). */
  get metricsUrl(): string {
    const m = /"listen":"([^"]+)"/.exec(this.stderr);
    if (m === null) throw new Error(`the agent logged no metrics address:\n${this.stderr}`);
    return `http://${m[1]}`;
  }

  /** The first alert of `rule` about process `pid` (and of that event type), once it has arrived. */
  alertFor(rule: string, pid: number, type?: string, ms?: number): Promise<Alert> {
    return this.firstAlert(
      rule,
      (x) => x.event.proc.pid === pid && (type === undefined || x.event.type === type),
      `pid ${pid}`,
      ms,
    );
  }

  /** The first alert of `rule` about a child of process `ppid`, once it has arrived. */
  alertForChild(rule: string, ppid: number): Promise<Alert> {
    return this.firstAlert(rule, (x) => x.event.proc.ppid === ppid, `a child of ${ppid}`);
  }

  private async firstAlert(
    rule: string,
    match: (a: Alert) => boolean,
    what: string,
    ms?: number,
  ): Promise<Alert> {
    const find = (): Alert | undefined => this.alerts.find((x) => x.rule === rule && match(x));
    await waitFor(
      () => find() !== undefined,
      `an alert of '${rule}' for ${what}`,
      () => this.stderr,
      ms,
    );
    return find()!;
  }

  /** Whether the agent process is still running. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The exit code once the agent has exited and its output is read to the end (whatever stopped it). */
  exited(): Promise<number | null> {
    if (this.child.exitCode !== null && this.child.stdout!.readableEnded)
      return Promise.resolve(this.child.exitCode);
    return new Promise((r) => this.child.once('close', (code) => r(code)));
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) {
      const done = new Promise<number | null>((r) => this.child.once('exit', (code) => r(code)));
      this.child.kill('SIGTERM');
      await done;
    }
    rmSync(this.dir, { recursive: true, force: true });
    return this.child.exitCode;
  }
}

/** A program the kernel killed at exec: it printed nothing, died of SIGKILL, and its alert says so. */
export async function assertKilledAtExec(agent: Agent, rule: string, r: Ran): Promise<void> {
  assert.equal(r.stdout, '', `${rule}: the program printed`);
  assert.equal(r.signal, 'SIGKILL', rule);
  const a = await agent.alertFor(rule, r.pid);
  assert.equal(a.action, 'killed');
  assert.deepEqual(a.enforcement, { mode: 'kernel', class: 'kernel-exec-kill' });
}

/**
 * `vigil run --enforce` with these rules for the enclosing describe block (started in its before
 * hook when live tests can run, stopped in its after hook); the running agent.
 */
export function enforcingAgent(rules: () => string): () => Agent {
  let agent: Agent | undefined;
  before(async () => {
    if (liveUnavailable() !== null) return;
    agent = await Agent.start(rules(), ['--enforce']);
  });
  after(async () => {
    await agent?.stop();
  });
  return () => agent!;
}
