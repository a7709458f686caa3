/**
 * The ContainerInfo events carry (`event.container`), one shared object per
 * container: its id, and in a Kubernetes pod the pod and the container's name
 * (src/sensor/k8s-pods.ts). Built once per container, not per event. A
 * container in a pod whose metadata is not all there yet (the pod directory
 * not found, or the container's log link not made yet in a pod of several) is
 * described again after the pod directory's retry interval, as a new object:
 * events already delivered keep what they had.
 */
import type { ContainerInfo, ProcessInfo } from '../event/types.js';
import { containerFromCgroup } from './container.js';
import type { PodDirectory } from './k8s-pods.js';

interface Entry {
  info: ContainerInfo;
  /** When to describe it again; Infinity once complete. */
  retryAt: number;
}

export class ContainerCatalog {
  private readonly byId = new Map<string, Entry>();

  constructor(
    private readonly pods: PodDirectory | null = null,
    private readonly max = 4096,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  /** The container of `proc`; undefined on the host. */
  of(proc: ProcessInfo): ContainerInfo | undefined {
    const id = proc.container_id;
    if (id === '') return undefined;
    const hit = this.byId.get(id);
    if (hit !== undefined && (hit.retryAt === Infinity || this.pods!.now() < hit.retryAt)) return hit.info;
    const entry = this.describe(id, proc.cgroup);
    if (hit === undefined && this.byId.size >= this.max) this.byId.clear();
    this.byId.set(id, entry);
    return entry.info;
  }

  private describe(id: string, cgroup: string): Entry {
    const c = containerFromCgroup(cgroup);
    if (this.pods === null || c.podUid === '') return { info: { id }, retryAt: Infinity };
    const retryAt = this.pods.now() + this.pods.retryMs;
    const pod = this.pods.pod(c.podUid);
    if (pod === undefined) return { info: { id }, retryAt };
    const name = this.pods.containerName(pod, c.fullId);
    if (name === undefined) return { info: { id, pod }, retryAt };
    return { info: { id, name, pod }, retryAt: Infinity };
  }
}
