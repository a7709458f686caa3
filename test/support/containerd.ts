/**
 * A real containerd for tests, started by the test: Debian's containerd with
 * its own config, root, state and sockets under a temp directory, runc, the
 * CRI plugin with a bridge CNI network (Debian's
 * containernetworking-plugins: a private bridge, no gateway, no masquerading,
 * deleted at the end) and a
 * busybox image built and imported on the spot (test/support/oci-image.ts),
 * which is the pod sandbox image too. Pods and containers are made with the
 * CRI calls the kubelet makes, through vigil's own CRI client, with a
 * kubelet-like cgroup parent (/kubepods/besteffort/pod<uid>) so the
 * container ids come out of the cgroup paths as on a node.
 *
 * The CRI default spec sets no rlimit here; a runtime spec that raises one
 * fails on hosts without CAP_SYS_RESOURCE, which is why no base spec is given.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { CriClient } from '../../src/sensor/runtime/cri-client.js';
import { requireLive } from './live.js';
import type { ContainerConfig, PodSandboxConfig } from '../../src/sensor/runtime/cri-types.js';
import { buildBusyboxImage, type OciImage } from './oci-image.js';

export const CONTAINERD = '/usr/bin/containerd';
export const CTR = '/usr/bin/ctr';
const CNI_BIN = '/usr/lib/cni';

/**
 * The gate of tests on the harness: live (root, BPF) and containerd there. Outside CI a missing
 * piece skips with the reason; with CI set it fails (a live test never skips silently in CI).
 */
export function requireContainerd(t: TestContext, more = ''): boolean {
  if (!requireLive(t)) return false;
  const missing = containerdMissing() || more;
  if (missing === '') return true;
  if (process.env.CI) throw new Error(`${missing}, and CI is set`);
  t.skip(missing);
  return false;
}

/** Why this host cannot run the harness, or '' when it can. */
export function containerdMissing(): string {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const f of [
    CONTAINERD,
    CTR,
    '/usr/sbin/runc',
    join(CNI_BIN, 'bridge'),
    join(CNI_BIN, 'host-local'),
    '/bin/busybox',
  ]) {
    if (!existsSync(f)) return `${f} missing (scripts/install-deps.sh installs it)`;
  }
  return '';
}

export interface PodSpec {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ContainerSpec {
  name: string;
  /** Default: the harness's image; another name given to it with tagImage(). */
  image?: string;
  /** A terminal for the container's process (as `kubectl run -it`). */
  tty?: boolean;
  command?: string[];
  labels?: Record<string, string>;
  privileged?: boolean;
  mounts?: { container_path: string; host_path: string; readonly?: boolean }[];
}

export interface Pod {
  id: string;
  uid: string;
  config: PodSandboxConfig;
  /** The cgroup parent given to the runtime. */
  cgroupParent: string;
}

function configToml(dir: string, sandboxImage: string): string {
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
[grpc]
  address = "${dir}/containerd.sock"
[ttrpc]
  address = "${dir}/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${sandboxImage}"
  restrict_oom_score_adj = true
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${CNI_BIN}"
    conf_dir = "${dir}/cni"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
`;
}

export class Containerd {
  readonly dir: string;
  readonly socket: string;
  readonly cri: CriClient;
  /** The pods' bridge, one per harness (tests run in parallel): private, no gateway, no masquerading. */
  private readonly bridge = `vgt${randomBytes(4).toString('hex')}`;
  private readonly subnet = `10.213.${randomInt(0, 256)}.0/24`;
  image!: OciImage;
  private proc: ChildProcess | undefined;
  private log = '';
  private readonly pods: Pod[] = [];
  private readonly containers: string[] = [];

  private constructor(dir: string) {
    this.dir = dir;
    this.socket = join(dir, 'containerd.sock');
    this.cri = new CriClient(this.socket, { timeoutMs: 10_000 });
  }

  /** Starts containerd and imports the test image; throws with containerd's log if it cannot. */
  static async start(): Promise<Containerd> {
    const c = new Containerd(mkdtempSync(join(tmpdir(), 'vigil-containerd-')));
    try {
      await c.boot();
    } catch (err) {
      await c.stop();
      throw new Error(`${(err as Error).message}\ncontainerd log:\n${c.log.slice(-4000)}`, { cause: err });
    }
    return c;
  }

  private async boot(): Promise<void> {
    mkdirSync(join(this.dir, 'cni'));
    mkdirSync(join(this.dir, 'image'));
    this.image = buildBusyboxImage(join(this.dir, 'image'));
    writeFileSync(
      join(this.dir, 'cni/10-vigil-test.conflist'),
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'vigil-test',
        plugins: [
          {
            type: 'bridge',
            bridge: this.bridge,
            isGateway: false,
            ipMasq: false,
            ipam: {
              type: 'host-local',
              ranges: [[{ subnet: this.subnet }]],
              dataDir: join(this.dir, 'ipam'),
            },
          },
        ],
      }),
    );
    writeFileSync(join(this.dir, 'config.toml'), configToml(this.dir, this.image.name));
    this.proc = spawn(CONTAINERD, ['--config', join(this.dir, 'config.toml')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (b: Buffer) => {
      this.log = (this.log + b.toString()).slice(-64 * 1024);
    };
    this.proc.stdout!.on('data', keep);
    this.proc.stderr!.on('data', keep);
    await this.waitReady();
    this.ctr('images', 'import', '--no-unpack', this.image.archive);
    // What a pull leaves: the tag and the digest reference, so image_ref names the digest.
    this.ctr('images', 'tag', this.image.name, `${this.image.repository}@${this.image.manifestDigest}`);
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (this.proc?.exitCode !== null) throw new Error(`containerd exited (${this.proc?.exitCode})`);
      if (existsSync(this.socket)) {
        try {
          await this.cri.version();
          return;
        } catch {
          // the CRI plugin starts after the socket is there
        }
      }
      if (Date.now() > deadline) throw new Error('containerd did not answer CRI Version within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Runs `ctr` against this containerd in the k8s.io namespace. */
  ctr(...args: string[]): string {
    return execFileSync(CTR, ['-a', this.socket, '-n', 'k8s.io', ...args], {
      encoding: 'utf8',
      stdio: 'pipe',
    });
  }

  /** Builds and imports another image (same busybox, its own content and id) under `repository:tag`. */
  importImage(repository: string, tag: string): OciImage {
    const dir = mkdtempSync(join(this.dir, 'image-'));
    const img = buildBusyboxImage(dir, repository, tag);
    this.ctr('images', 'import', '--no-unpack', img.archive);
    this.ctr('images', 'tag', img.name, `${img.repository}@${img.manifestDigest}`);
    return img;
  }

  /** RunPodSandbox as the kubelet does it: metadata, labels, log directory, cgroup parent. */
  async runPod(spec: PodSpec): Promise<Pod> {
    const uid = randomUUID();
    const cgroupParent = `/kubepods/besteffort/pod${uid}`;
    const config: PodSandboxConfig = {
      metadata: { name: spec.name, uid, namespace: spec.namespace, attempt: 0 },
      hostname: spec.name,
      log_directory: join(this.dir, 'pods', `${spec.namespace}_${spec.name}_${uid}`),
      labels: spec.labels ?? {},
      annotations: spec.annotations ?? {},
      linux: {
        cgroup_parent: cgroupParent,
        security_context: { namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } },
      },
    };
    const id = await this.cri.runPodSandbox(config);
    const pod = { id, uid, config, cgroupParent };
    this.pods.push(pod);
    return pod;
  }

  /** CreateContainer + StartContainer; returns the 64-hex container id. */
  async runContainer(pod: Pod, spec: ContainerSpec): Promise<string> {
    const config: ContainerConfig = {
      metadata: { name: spec.name, attempt: 0 },
      image: { image: spec.image ?? this.image.name },
      tty: spec.tty ?? false,
      stdin: spec.tty ?? false,
      command: spec.command ?? ['/bin/sleep', '1000000'],
      labels: spec.labels ?? {},
      log_path: `${spec.name}/0.log`,
      mounts: spec.mounts ?? [],
      linux: {
        security_context: {
          privileged: spec.privileged ?? false,
          namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' },
        },
      },
    };
    const sandboxConfig = spec.privileged
      ? {
          ...pod.config,
          linux: {
            ...pod.config.linux,
            security_context: { ...pod.config.linux!.security_context, privileged: true },
          },
        }
      : pod.config;
    const id = await this.cri.createContainer({
      pod_sandbox_id: pod.id,
      config,
      sandbox_config: sandboxConfig,
    });
    this.containers.push(id);
    await this.cri.startContainer(id);
    return id;
  }

  /** The host pid of a container's init process (from the verbose status). */
  async pidOf(containerId: string): Promise<number> {
    const res = await this.cri.containerStatus(containerId, true);
    return (JSON.parse(res.info.info ?? '{}') as { pid?: number }).pid ?? 0;
  }

  /** The container's cgroup path in the pids hierarchy, as the sensor reads it. */
  static cgroupOf(pid: number): string {
    const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
    const pids = lines.find((l) => /^\d+:pids:/.test(l)) ?? lines.find((l) => l.startsWith('0::')) ?? '';
    return pids.slice(pids.indexOf(':', pids.indexOf(':') + 1) + 1);
  }

  async removeContainer(id: string): Promise<void> {
    await this.cri.stopContainer(id, 0);
    await this.cri.removeContainer(id);
    const i = this.containers.indexOf(id);
    if (i >= 0) this.containers.splice(i, 1);
  }

  async removePod(pod: Pod): Promise<void> {
    await this.cri.stopPodSandbox(pod.id);
    await this.cri.removePodSandbox(pod.id);
    const i = this.pods.indexOf(pod);
    if (i >= 0) this.pods.splice(i, 1);
  }

  /** Removes every pod (and so every container), stops containerd, unmounts and deletes the dir. */
  async stop(): Promise<void> {
    for (const pod of [...this.pods]) await this.removePod(pod).catch(() => undefined);
    this.cri.close();
    if (this.proc !== undefined && this.proc.exitCode === null) {
      const exited = new Promise((r) => this.proc!.once('exit', r));
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.proc?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    unmountUnder(this.dir);
    try {
      execFileSync('ip', ['link', 'delete', this.bridge], { stdio: 'ignore' });
    } catch {
      // no pod ever ran
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Unmounts whatever is still mounted below `dir` (snapshots, shm, netns), deepest first. */
function unmountUnder(dir: string): void {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
  for (const p of points) {
    try {
      execFileSync('umount', ['-l', p], { stdio: 'ignore' });
    } catch {
      // already gone with its parent
    }
  }
}
