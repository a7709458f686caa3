/**
 * A container runtime vigil asks for metadata: one socket, one API. The CRI
 * sources serve containerd and CRI-O; the Docker Engine API sources serve
 * Docker and Podman. Which source a container's lookup goes to follows the
 * runtime its cgroup path names.
 */
import type { ContainerRuntime } from '../cgroup-container.js';
import type { RuntimeMetadata } from './metadata.js';

/** The API a socket speaks (`containers.runtimes[].type`). */
export type RuntimeApi = 'cri' | 'docker';

export interface RuntimeEvent {
  /** The container's full id. */
  id: string;
  kind: 'start' | 'stop';
}

export interface RuntimeSource {
  readonly api: RuntimeApi;
  readonly socket: string;
  /** The container's metadata; null when this runtime does not know the id. */
  lookup(fullId: string): Promise<RuntimeMetadata | null>;
  /**
   * Follows the runtime's container starts and stops; `onEnd` gets why the stream ended (the
   * caller retries later). Returns the function that stops it.
   */
  watch(onEvent: (e: RuntimeEvent) => void, onEnd: (err: Error) => void): () => void;
  /** One line naming the runtime and its version, or a rejection saying why it does not answer. */
  probe(): Promise<string>;
  close(): void;
}

/** Which API serves containers of a runtime named by a cgroup path. */
export function apiFor(runtime: ContainerRuntime): RuntimeApi | null {
  switch (runtime) {
    case 'containerd':
    case 'cri-o':
      return 'cri';
    case 'docker':
    case 'podman':
      return 'docker';
    default:
      return null;
  }
}

/** The sockets looked for when `containers.runtimes` is not set, in this order. */
export const DEFAULT_SOCKETS: readonly { type: RuntimeApi; socket: string }[] = [
  { type: 'cri', socket: '/run/containerd/containerd.sock' },
  { type: 'cri', socket: '/run/crio/crio.sock' },
  { type: 'cri', socket: '/run/k3s/containerd/containerd.sock' },
  { type: 'docker', socket: '/run/docker.sock' },
  { type: 'docker', socket: '/run/podman/podman.sock' },
];
