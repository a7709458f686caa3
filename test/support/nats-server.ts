/**
 * Real NATS servers for tests: Debian's `nats-server` started on loopback ephemeral ports with
 * JetStream and a temp store directory, alone or as a three-node cluster (routes on loopback
 * ports, so a stream can be replicated three times). A node can be stopped, killed and started
 * again on the same ports and store, for outage tests. `config` adds server configuration (an
 * `authorization` block, `tls`, operator mode) to every node.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitForListen } from '../outputs/support/ports.js';

export const NATS_SERVER = '/usr/sbin/nats-server';

/** Fails in CI, skips elsewhere, when Debian's nats-server is missing. */
export function natsServerMissing(): boolean {
  if (existsSync(NATS_SERVER)) return false;
  if (process.env.CI)
    throw new Error(`${NATS_SERVER} missing (scripts/install-deps.sh installs nats-server)`);
  return true;
}

export interface NatsNodeOptions {
  /** Server configuration appended to the generated one (auth, tls, operator mode...). */
  config?: string;
}

export class NatsNode {
  private child?: ChildProcess;
  private stderr: Buffer[] = [];

  constructor(
    readonly name: string,
    readonly dir: string,
    readonly port: number,
    readonly clusterPort: number | undefined,
    private readonly routes: number[],
    private readonly opts: NatsNodeOptions,
  ) {}

  /** `nats://127.0.0.1:PORT`. */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** What the server printed (its log), for assertions that a secret never appears in it. */
  log(): string {
    return Buffer.concat(this.stderr).toString();
  }

  private writeConfig(): string {
    const store = join(this.dir, 'jetstream');
    mkdirSync(store, { recursive: true });
    const lines = [
      `server_name: ${this.name}`,
      `listen: 127.0.0.1:${this.port}`,
      `jetstream { store_dir: ${JSON.stringify(store)}, max_memory_store: 64MB, max_file_store: 1GB }`,
    ];
    if (this.clusterPort !== undefined) {
      const routes = this.routes.map((p) => `nats-route://127.0.0.1:${p}`);
      lines.push(
        `cluster { name: vigil-test, listen: 127.0.0.1:${this.clusterPort}, routes: ${JSON.stringify(routes)} }`,
      );
    }
    if (this.opts.config) lines.push(this.opts.config);
    const file = join(this.dir, 'nats.conf');
    writeFileSync(file, lines.join('\n') + '\n');
    return file;
  }

  /** Starts the server (again, on the same ports and store); resolves once it accepts clients. */
  async start(): Promise<void> {
    if (this.running) return;
    const conf = this.writeConfig();
    const child = spawn(NATS_SERVER, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.stderr!.on('data', (c: Buffer) => this.stderr.push(c));
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) =>
        reject(new Error(`nats-server ${this.name} exited (${code}):\n${this.log()}`)),
      ),
    );
    exited.catch(() => undefined);
    await Promise.race([waitForListen(this.port), exited]);
  }

  /** SIGTERM (a clean shutdown) or SIGKILL; resolves once the process is gone. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const done = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await done;
  }
}

/** One JetStream server on loopback, its store under `dir`. */
export async function startNats(dir: string, opts: NatsNodeOptions = {}): Promise<NatsNode> {
  mkdirSync(dir, { recursive: true });
  const node = new NatsNode('n1', dir, await freePort(), undefined, [], opts);
  await node.start();
  return node;
}

export interface NatsCluster {
  nodes: NatsNode[];
  /** Every node's client URL: what a client is given so it fails over. */
  urls: string[];
  stop(): Promise<void>;
}

/**
 * A JetStream cluster of `size` nodes (three by default) routed on loopback; resolves once every
 * node accepts clients. The cluster elects its meta leader on its own: a client creating a
 * stream right away retries until it has one (see waitForJetStream in the tests that use it).
 */
export async function startNatsCluster(
  dir: string,
  size = 3,
  opts: NatsNodeOptions = {},
): Promise<NatsCluster> {
  const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
  const clusterPorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const nodes = ports.map((port, i) => {
    const nodeDir = join(dir, `n${i + 1}`);
    mkdirSync(nodeDir, { recursive: true });
    const routes = clusterPorts.filter((_, j) => j !== i);
    return new NatsNode(`n${i + 1}`, nodeDir, port, clusterPorts[i], routes, opts);
  });
  await Promise.all(nodes.map((n) => n.start()));
  return {
    nodes,
    urls: nodes.map((n) => n.url),
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}
