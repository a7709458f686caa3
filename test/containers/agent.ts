/**
 * `vigil run` (the real agent, as a process) against a containerd started by
 * the test (test/support/containerd.ts): the agent asks that containerd's CRI
 * socket for metadata; its alerts are collected from stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bundledRulesDir, packageRoot } from '../../src/config/paths.js';
import type { Alert } from '../../src/event/alert.js';

const BIN = join(packageRoot(), 'bin/vigil.js');

export class AgentProcess {
  readonly alerts: Alert[] = [];
  stderr = '';
  private constructor(private readonly proc: ChildProcess) {}

  /**
   * Starts the agent with `ruleset` (default: the bundled rules) and `rules` (YAML) after it,
   * asking the CRI socket `socket`.
   */
  static async start(
    dir: string,
    socket: string,
    rules: string,
    extraConfig = '',
    ruleset = bundledRulesDir(),
  ): Promise<AgentProcess> {
    writeFileSync(join(dir, 'rules.yaml'), rules, { mode: 0o644 });
    writeFileSync(
      join(dir, 'vigil.yaml'),
      'metrics:\n  listen: 127.0.0.1:0\n' +
        "kubernetes:\n  pods_dir: ''\n  containers_dir: ''\n" +
        `containers:\n  runtimes:\n    - type: cri\n      socket: ${socket}\n${extraConfig}`,
      { mode: 0o644 },
    );
    const args = ['run', '--json', '--config', join(dir, 'vigil.yaml'), '--db', join(dir, 'a.db')];
    args.push('--rules', ruleset, '--rules', join(dir, 'rules.yaml'));
    const a = new AgentProcess(
      spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    createInterface({ input: a.proc.stdout! }).on('line', (l) => a.alerts.push(JSON.parse(l) as Alert));
    a.proc.stderr!.on('data', (d: Buffer) => (a.stderr = (a.stderr + d.toString()).slice(-64 * 1024)));
    await a.waitFor(() => /"msg":"ready"/.test(a.stderr), 'ready', 60_000);
    return a;
  }

  async waitFor(done: () => boolean, what: string, ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (this.proc.exitCode !== null)
        throw new Error(`the agent exited (${this.proc.exitCode}):\n${this.stderr}`);
      if (Date.now() > deadline) {
        const seen = this.alerts.map((a) => `${a.rule} [${a.event.proc.container_id}]`).join('\n');
        throw new Error(`timed out waiting for ${what}; alerts:\n${seen}\nagent stderr:\n${this.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The first alert of `rule` for container `id` (12 hex), once it came. */
  async alertFor(rule: string, id: string): Promise<Alert> {
    const find = () => this.alerts.find((a) => a.rule === rule && a.event.proc.container_id === id);
    await this.waitFor(() => find() !== undefined, `${rule} for container ${id}`);
    return find()!;
  }

  has(rule: string, id: string): boolean {
    return this.alerts.some((a) => a.rule === rule && a.event.proc.container_id === id);
  }

  async stop(): Promise<number | null> {
    if (this.proc.exitCode !== null) return this.proc.exitCode;
    const exited = new Promise<number | null>((res) => this.proc.once('exit', (code) => res(code)));
    this.proc.kill('SIGTERM');
    return exited;
  }
}
