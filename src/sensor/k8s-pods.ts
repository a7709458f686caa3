/**
 * Pod identity on a Kubernetes node, from the directories the kubelet writes on
 * every node whatever the runtime (containerd, CRI-O):
 *
 *   /var/log/pods/<namespace>_<pod-name>_<pod-uid>/<container-name>/<restart>.log
 *   /var/log/containers/<pod-name>_<namespace>_<container-name>-<container-id>.log  (symlinks)
 *
 * The pod directory exists from the sandbox's creation, before any container
 * process runs, so the first event of a container finds it. Names and
 * namespaces cannot contain '_' (DNS labels and subdomains), so the split is
 * unambiguous. Only directory names are read, never a file's content, and no
 * symlink is followed.
 *
 * These need only a read-only mount of two directories, where the runtime's
 * socket (src/sensor/runtime/) grants control of every container: they are
 * the base, and the runtime's answer, where there is one, adds the image,
 * labels and privileged flag (docs/deploy.md).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PodInfo } from '../event/types.js';

export interface PodDirectoryOptions {
  /** The kubelet's pod log directory ('' turns pod lookups off). */
  podsDir: string;
  /** The kubelet's container log symlinks ('' leaves container names to single-container pods). */
  containersDir: string;
  /** Pods kept (a node runs 110 by default): a listing beyond this keeps the first ones. */
  maxPods?: number;
  /** A pod uid not found is looked for again after this long. */
  retryMs?: number;
  /** Milliseconds clock (tests step it). */
  now?: () => number;
}

const UID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `<namespace>_<pod-name>_<pod-uid>` -> the pod, or null for a name of another shape. */
export function parsePodDirName(name: string): PodInfo | null {
  const parts = name.split('_');
  if (parts.length !== 3) return null;
  const [namespace, podName, uid] = parts;
  if (namespace === '' || podName === '' || !UID.test(uid)) return null;
  return { uid, name: podName, namespace };
}

export class PodDirectory {
  readonly podsDir: string;
  readonly containersDir: string;
  /** How long a miss (a pod, a container's name) stands before it is looked for again. */
  readonly retryMs: number;
  readonly now: () => number;
  private readonly maxPods: number;
  private pods = new Map<string, PodInfo>();
  /** uid -> when it was last looked for and not found. */
  private readonly misses = new Map<string, number>();
  /** Directory listings made (a miss on an unknown uid, at most once per retryMs per uid). */
  scans = 0;

  constructor(opts: PodDirectoryOptions) {
    this.podsDir = opts.podsDir;
    this.containersDir = opts.containersDir;
    this.maxPods = opts.maxPods ?? 4096;
    this.retryMs = opts.retryMs ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.pods.size;
  }

  /** The pod of `uid`, listing the pod directory again on a miss. */
  pod(uid: string): PodInfo | undefined {
    if (this.podsDir === '' || uid === '') return undefined;
    const hit = this.pods.get(uid);
    if (hit !== undefined) return hit;
    const missedAt = this.misses.get(uid);
    const now = this.now();
    if (missedAt !== undefined && now - missedAt < this.retryMs) return undefined;
    this.rescan();
    const found = this.pods.get(uid);
    if (found !== undefined) {
      this.misses.delete(uid);
      return found;
    }
    if (this.misses.size >= this.maxPods) this.misses.clear();
    this.misses.set(uid, now);
    return undefined;
  }

  /**
   * The name of container `fullId` (64 hex) in `pod`: its log symlink names it; without one (not
   * created yet, or not mounted), the pod's only container directory, if the pod has just one.
   */
  containerName(pod: PodInfo, fullId: string): string | undefined {
    const names = this.list(join(this.podsDir, `${pod.namespace}_${pod.name}_${pod.uid}`));
    if (this.containersDir !== '') {
      for (const c of names) {
        if (existsSync(join(this.containersDir, `${pod.name}_${pod.namespace}_${c}-${fullId}.log`))) return c;
      }
    }
    return names.length === 1 ? names[0] : undefined;
  }

  /** Rebuilds the table from one listing: pods whose directory went are dropped with it. */
  rescan(): void {
    this.scans++;
    const next = new Map<string, PodInfo>();
    for (const name of this.list(this.podsDir)) {
      const pod = parsePodDirName(name);
      if (pod === null) continue;
      // The same pod object while its directory stays: events that hold it share one copy.
      next.set(pod.uid, this.pods.get(pod.uid) ?? pod);
      if (next.size >= this.maxPods) break;
    }
    this.pods = next;
  }

  private list(dir: string): string[] {
    try {
      return readdirSync(dir);
    } catch {
      return []; // not a Kubernetes node, not mounted, or the pod just went
    }
  }
}

/** What `vigil doctor` says about pod metadata on this host. */
export function podSourceReport(
  podsDir: string,
  env: NodeJS.ProcessEnv = process.env,
): {
  detail: string;
  meaning: string;
} {
  const self = env.VIGIL_POD_NAME ? `agent pod ${env.VIGIL_POD_NAMESPACE ?? ''}/${env.VIGIL_POD_NAME} ` : '';
  const node = env.VIGIL_NODE_NAME ? `${self}on node ${env.VIGIL_NODE_NAME}; ` : '';
  const pods = podsDir === '' ? null : new PodDirectory({ podsDir, containersDir: '' });
  pods?.rescan();
  if (pods === null || pods.size === 0) {
    return {
      detail: `${node}no kubelet pod directory${podsDir === '' ? '' : ` at ${podsDir}`}`,
      meaning: 'alerts carry container ids only (no pod name or namespace)',
    };
  }
  return {
    detail: `${node}${pods.size} pods in ${podsDir}`,
    meaning:
      'alerts of containers in pods carry namespace, pod name and uid, container name; ' +
      'labels, image and privileged flag come from the container runtime (next line)',
  };
}
