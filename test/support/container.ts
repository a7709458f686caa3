/**
 * A stand-in container for live tests: a cgroup named as Docker names them
 * (/docker/<64 hex> under the cgroup2 mount) or as the kubelet names a pod's
 * (/kubepods/besteffort/pod<uid>/<64 hex>), plus new pid and mount
 * namespaces (unshare -pmf --mount-proc). The workload joins the cgroup
 * after the namespaces and /proc are set up, so the set-up itself is not a
 * container event; from its exec on, container.id is the 12-hex short id and
 * the rules' `container` macro matches, as under a real runtime.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

export function cgroup2Mount(): string {
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const [, target, type] = line.split(' ');
    if (type === 'cgroup2') return target;
  }
  throw new Error('no cgroup2 mount');
}

export class StandInContainer {
  private constructor(
    /** The 64-hex id, as the runtime knows it. */
    readonly fullId: string,
    readonly cgroupDir: string,
    /** Parent cgroups made for it (a pod's), removed after it, innermost first. */
    private readonly parents: string[] = [],
  ) {}

  /** container.id as vigil (and Falco) show it. */
  get id(): string {
    return this.fullId.slice(0, 12);
  }

  static create(): StandInContainer {
    const fullId = randomBytes(32).toString('hex');
    const parent = join(cgroup2Mount(), 'docker');
    mkdirSync(parent, { recursive: true });
    const dir = join(parent, fullId);
    mkdirSync(dir);
    return new StandInContainer(fullId, dir);
  }

  /**
   * A container of a Kubernetes pod, named as the kubelet's cgroupfs driver names them:
   * /kubepods/besteffort/pod<uid>/<64 hex>.
   */
  static createInPod(podUid: string): StandInContainer {
    const fullId = randomBytes(32).toString('hex');
    const qos = join(cgroup2Mount(), 'kubepods', 'besteffort');
    const pod = join(qos, `pod${podUid}`);
    mkdirSync(pod, { recursive: true });
    const dir = join(pod, fullId);
    mkdirSync(dir);
    return new StandInContainer(fullId, dir, [pod]);
  }

  /**
   * The argv that runs `cmd` inside the container: new pid and mount namespaces, then the shell
   * moves itself into the cgroup ("0" is the writer) and execs the workload.
   */
  argv(cmd: readonly string[]): string[] {
    const procs = join(this.cgroupDir, 'cgroup.procs');
    return [
      '/usr/bin/unshare',
      '-pmf',
      '--mount-proc',
      '--',
      '/bin/sh',
      '-c',
      'echo 0 > "$0" && exec "$@"',
      procs,
      ...cmd,
    ];
  }

  /** Removes the cgroup (its processes must have exited). */
  remove(): void {
    rmdirSync(this.cgroupDir);
    for (const p of this.parents) rmdirSync(p);
  }
}
