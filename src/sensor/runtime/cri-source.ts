/**
 * Container metadata over the CRI: ContainerStatus (verbose: its `info`
 * document holds the sandbox id and the privileged flag) then
 * PodSandboxStatus for the pod's name, namespace, uid and labels (one call
 * per pod, kept while the pod's containers are looked up).
 */
import { CriClient, CriError } from './cri-client.js';
import type { ContainerEvent, ContainerStatusResponse } from './cri-types.js';
import { imageFields, type RuntimeMetadata } from './metadata.js';
import type { RuntimeEvent, RuntimeSource } from './source.js';
import type { PodInfo } from '../../event/types.js';

/** The parts of the verbose info document vigil reads (containerd and CRI-O). */
interface VerboseInfo {
  sandboxID?: string;
  /** CRI-O. */
  privileged?: boolean;
  /** containerd: the ContainerConfig the container was created with. */
  config?: { linux?: { security_context?: { privileged?: boolean } } };
}

const MAX_PODS = 512;

export class CriSource implements RuntimeSource {
  readonly api = 'cri' as const;
  private readonly client: CriClient;
  private readonly pods = new Map<string, PodInfo>();

  constructor(
    readonly socket: string,
    timeoutMs: number,
  ) {
    this.client = new CriClient(socket, { timeoutMs });
  }

  async lookup(fullId: string): Promise<RuntimeMetadata | null> {
    let res: ContainerStatusResponse;
    try {
      res = await this.client.containerStatus(fullId, true);
    } catch (err) {
      if (err instanceof CriError && err.notFound) return null;
      throw err;
    }
    const st = res.status;
    if (st === null) return null;
    const info = parseInfo(res.info.info);
    const meta: RuntimeMetadata = {
      ...imageFields(
        st.image?.image ?? '',
        st.image_ref,
        st.image_ref.startsWith('sha256:') ? st.image_ref : '',
      ),
      labels: st.labels,
    };
    if (st.metadata?.name) meta.name = st.metadata.name;
    if (st.started_at > 0) meta.start_ts = st.started_at;
    // containerd's document leaves false out (Go's omitempty): a config without the flag is unprivileged.
    const privileged =
      info.privileged ??
      (info.config === undefined ? undefined : info.config.linux?.security_context?.privileged === true);
    if (privileged !== undefined) meta.privileged = privileged;
    if (info.sandboxID) {
      const pod = await this.pod(info.sandboxID);
      if (pod !== undefined) meta.pod = pod;
    }
    return meta;
  }

  private async pod(sandboxId: string): Promise<PodInfo | undefined> {
    const hit = this.pods.get(sandboxId);
    if (hit !== undefined) return hit;
    let res;
    try {
      res = await this.client.podSandboxStatus(sandboxId, false);
    } catch (err) {
      if (err instanceof CriError && err.notFound) return undefined;
      throw err;
    }
    const md = res.status?.metadata;
    if (!md) return undefined;
    const pod: PodInfo = { uid: md.uid, name: md.name, namespace: md.namespace, labels: res.status!.labels };
    if (this.pods.size >= MAX_PODS) this.pods.delete(this.pods.keys().next().value!);
    this.pods.set(sandboxId, pod);
    return pod;
  }

  watch(onEvent: (e: RuntimeEvent) => void, onEnd: (err: Error) => void): () => void {
    return this.client.events((e: ContainerEvent) => {
      if (e.container_event_type === 'CONTAINER_STARTED_EVENT')
        onEvent({ id: e.container_id, kind: 'start' });
      if (e.container_event_type === 'CONTAINER_DELETED_EVENT') {
        onEvent({ id: e.container_id, kind: 'stop' });
      }
    }, onEnd);
  }

  async probe(): Promise<string> {
    const v = await this.client.version();
    return `${v.runtime_name} ${v.runtime_version} (CRI ${v.runtime_api_version})`;
  }

  close(): void {
    this.client.close();
  }
}

function parseInfo(text: string | undefined): VerboseInfo {
  if (text === undefined || text === '') return {};
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null ? (v as VerboseInfo) : {};
  } catch {
    return {};
  }
}
