/**
 * The ContainerInfo events carry (`event.container`), one shared object per
 * container: its id and runtime (from the cgroup path), in a Kubernetes pod
 * the pod and the container's name (src/sensor/k8s-pods.ts), and what the
 * container runtime says (name, image, labels, privileged flag, pod labels:
 * src/sensor/runtime/), looked up once per new container, off the event path.
 *
 * Built once per container, not per event. A description missing something
 * (the pod directory not found yet; the runtime's answer not in yet) is built
 * again later, as a new object: events already delivered keep what they had.
 * While the runtime's answer is awaited, `unknown` names the fields it fills;
 * `whenSettled` lets the agent hold such an event for a bounded time.
 */
import type { ContainerInfo, PodInfo, ProcessInfo } from '../event/types.js';
import { containerFromCgroup, type CgroupContainer } from './cgroup-container.js';
import type { PodDirectory } from './k8s-pods.js';
import type { ContainerMetadataCache } from './runtime/metadata-cache.js';
import { RUNTIME_FIELDS, RUNTIME_POD_FIELDS, type RuntimeMetadata } from './runtime/metadata.js';

interface Entry {
  info: ContainerInfo;
  /** When to describe it again; Infinity once complete (or until the runtime's answer comes). */
  retryAt: number;
}

/** How long a description without the runtime's answer (runtime down) stands. */
const UNAVAILABLE_RETRY_MS = 1000;

export class ContainerCatalog {
  private readonly byId = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(
    private readonly pods: PodDirectory | null = null,
    private readonly max = 4096,
    private readonly runtime: ContainerMetadataCache | null = null,
    now?: () => number,
  ) {
    this.now = now ?? pods?.now ?? Date.now;
  }

  get size(): number {
    return this.byId.size;
  }

  /** The container of `proc`; undefined on the host. */
  of(proc: ProcessInfo): ContainerInfo | undefined {
    const id = proc.container_id;
    if (id === '') return undefined;
    const hit = this.byId.get(id);
    if (hit !== undefined && (hit.retryAt === Infinity || this.now() < hit.retryAt)) return hit.info;
    const entry = this.describe(id, proc.cgroup);
    if (hit === undefined && this.byId.size >= this.max) this.byId.clear();
    this.byId.set(id, entry);
    return entry.info;
  }

  /** The runtime's answer for `fullId` changed: the next event describes the container anew. */
  forget(fullId: string): void {
    this.byId.delete(fullId.slice(0, 12));
  }

  /**
   * A promise settled when the runtime's answer for the container of `proc` is in, or undefined
   * when none is awaited.
   */
  whenSettled(proc: ProcessInfo): Promise<void> | undefined {
    if (this.runtime === null || proc.container_id === '') return undefined;
    const info = this.byId.get(proc.container_id)?.info;
    if (info?.unknown === undefined) return undefined;
    const c = containerFromCgroup(proc.cgroup);
    const state = this.runtime.get(c.fullId, c.runtime);
    return state === 'pending' ? this.runtime.settled(c.fullId) : undefined;
  }

  private describe(id: string, cgroup: string): Entry {
    const c = containerFromCgroup(cgroup);
    const base = this.fromPods(id, c);
    if (this.runtime === null || !this.runtime.serves(c.runtime)) return base;
    const meta = this.runtime.get(c.fullId, c.runtime);
    if (meta === null) return base; // no runtime knows it (not a runtime's container)
    if (meta === 'pending' || meta === 'unavailable') {
      const unknown = c.podUid === '' ? [...RUNTIME_FIELDS] : [...RUNTIME_FIELDS, ...RUNTIME_POD_FIELDS];
      const retryAt = meta === 'pending' ? Infinity : this.now() + UNAVAILABLE_RETRY_MS;
      return { info: { ...base.info, unknown }, retryAt: Math.min(retryAt, base.retryAt) };
    }
    return { info: merge(base.info, meta), retryAt: Infinity };
  }

  /** What the cgroup path and the kubelet's pod directories say. */
  private fromPods(id: string, c: CgroupContainer): Entry {
    const type = c.runtime === '' ? {} : { type: c.runtime };
    if (this.pods === null || c.podUid === '') return { info: { id, ...type }, retryAt: Infinity };
    const retryAt = this.now() + this.pods.retryMs;
    const pod = this.pods.pod(c.podUid);
    if (pod === undefined) return { info: { id, ...type }, retryAt };
    const name = this.pods.containerName(pod, c.fullId);
    if (name === undefined) return { info: { id, ...type, pod }, retryAt };
    return { info: { id, ...type, name, pod }, retryAt: Infinity };
  }
}

/** The runtime's answer over what the cgroup path and pod directories gave. */
function merge(base: ContainerInfo, meta: RuntimeMetadata): ContainerInfo {
  const pod: PodInfo | undefined = meta.pod ?? base.pod;
  const out: ContainerInfo = { ...base, ...meta };
  if (pod !== undefined) out.pod = pod;
  else delete out.pod;
  return out;
}
