/**
 * A client of the Container Runtime Interface (CRI, package runtime.v1) over a
 * unix socket: containerd's CRI plugin, CRI-O. gRPC with @grpc/grpc-js and the
 * protobuf vendored in proto/cri/api.proto, loaded at run time by
 * @grpc/proto-loader (field names as in the proto, snake_case; int64 as
 * numbers; enums as their names).
 *
 * vigil reads (ContainerStatus, PodSandboxStatus, GetContainerEvents); the
 * calls that make pods and containers are here for the tests, which drive a
 * real containerd as the kubelet does. Every call has a deadline: a runtime
 * that does not answer costs a bounded wait, never a stalled caller.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';
import { packageRoot } from '../../config/paths.js';
import type {
  ContainerEvent,
  ContainerStatusResponse,
  CreateContainerRequest,
  ExecSyncResponse,
  PodSandboxConfig,
  PodSandboxStatusResponse,
  VersionResponse,
} from './cri-types.js';

type Callback = (err: grpc.ServiceError | null, res: unknown) => void;
type Unary = (req: object, meta: grpc.Metadata, opts: grpc.CallOptions, cb: Callback) => void;
type ServiceClient = grpc.Client & Record<string, Unary | undefined>;
type ServiceCtor = new (address: string, creds: grpc.ChannelCredentials, opts?: object) => ServiceClient;

let runtimeService: ServiceCtor | null = null;

/** The vendored CRI proto's runtime.v1 package, loaded as this client reads it. */
export function loadCriPackage(): { RuntimeService: ServiceCtor & { service: grpc.ServiceDefinition } } {
  const def = protoLoader.loadSync(join(packageRoot(), 'proto/cri/api.proto'), {
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    runtime: { v1: { RuntimeService: ServiceCtor & { service: grpc.ServiceDefinition } } };
  };
  return pkg.runtime.v1;
}

/** The RuntimeService constructor (loaded once). */
function service(): ServiceCtor {
  runtimeService ??= loadCriPackage().RuntimeService;
  return runtimeService;
}

export interface CriClientOptions {
  /** Deadline of one call, ms. */
  timeoutMs?: number;
}

export class CriClient {
  readonly socket: string;
  private readonly client: ServiceClient;
  private readonly timeoutMs: number;

  constructor(socket: string, opts: CriClientOptions = {}) {
    this.socket = socket;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    const Ctor = service();
    // Metadata replies can be large (labels, annotations, verbose info): bounded, not unlimited.
    this.client = new Ctor(`unix://${socket}`, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 5000,
    });
  }

  close(): void {
    this.client.close();
  }

  private call<T>(method: string, req: object, timeoutMs = this.timeoutMs): Promise<T> {
    const fn = this.client[method];
    if (typeof fn !== 'function') return Promise.reject(new Error(`CRI has no method ${method}`));
    return new Promise<T>((resolve, reject) => {
      fn.call(this.client, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) =>
        err ? reject(new CriError(method, this.socket, err)) : resolve(res as T),
      );
    });
  }

  version(): Promise<VersionResponse> {
    return this.call('Version', { version: 'v1' });
  }

  containerStatus(id: string, verbose = true): Promise<ContainerStatusResponse> {
    return this.call('ContainerStatus', { container_id: id, verbose });
  }

  podSandboxStatus(id: string, verbose = true): Promise<PodSandboxStatusResponse> {
    return this.call('PodSandboxStatus', { pod_sandbox_id: id, verbose });
  }

  async runPodSandbox(config: PodSandboxConfig, timeoutMs = 60_000): Promise<string> {
    const res = await this.call<{ pod_sandbox_id: string }>('RunPodSandbox', { config }, timeoutMs);
    return res.pod_sandbox_id;
  }

  async stopPodSandbox(id: string, timeoutMs = 60_000): Promise<void> {
    await this.call('StopPodSandbox', { pod_sandbox_id: id }, timeoutMs);
  }

  async removePodSandbox(id: string, timeoutMs = 60_000): Promise<void> {
    await this.call('RemovePodSandbox', { pod_sandbox_id: id }, timeoutMs);
  }

  async createContainer(req: CreateContainerRequest, timeoutMs = 60_000): Promise<string> {
    const res = await this.call<{ container_id: string }>('CreateContainer', req, timeoutMs);
    return res.container_id;
  }

  async startContainer(id: string, timeoutMs = 60_000): Promise<void> {
    await this.call('StartContainer', { container_id: id }, timeoutMs);
  }

  async stopContainer(id: string, graceSeconds = 0, timeoutMs = 60_000): Promise<void> {
    await this.call('StopContainer', { container_id: id, timeout: graceSeconds }, timeoutMs);
  }

  async removeContainer(id: string, timeoutMs = 60_000): Promise<void> {
    await this.call('RemoveContainer', { container_id: id }, timeoutMs);
  }

  execSync(id: string, cmd: string[], timeoutSeconds = 30): Promise<ExecSyncResponse> {
    return this.call(
      'ExecSync',
      { container_id: id, cmd, timeout: timeoutSeconds },
      timeoutSeconds * 1000 + 5000,
    );
  }

  /**
   * The runtime's container events (CRI v1 GetContainerEvents: containerd 1.7+, CRI-O). `onEnd`
   * gets the error that ended the stream (UNIMPLEMENTED from runtimes without it).
   */
  events(onEvent: (e: ContainerEvent) => void, onEnd: (err: Error) => void): () => void {
    const fn = (
      this.client as unknown as Record<string, (req: object) => grpc.ClientReadableStream<ContainerEvent>>
    ).GetContainerEvents;
    const stream = fn.call(this.client, {});
    let ended = false;
    const end = (err: Error) => {
      if (ended) return;
      ended = true;
      onEnd(err);
    };
    stream.on('data', onEvent);
    stream.on('error', (err: grpc.ServiceError) => end(new CriError('GetContainerEvents', this.socket, err)));
    stream.on('end', () => end(new Error(`CRI ${this.socket}: the event stream ended`)));
    return () => {
      ended = true;
      stream.cancel();
    };
  }
}

/** A failed CRI call: which call, which socket, the gRPC status. */
export class CriError extends Error {
  readonly code: grpc.status;
  constructor(method: string, socket: string, err: grpc.ServiceError) {
    super(`CRI ${method} on ${socket}: ${err.details || err.message}`);
    this.name = 'CriError';
    this.code = err.code;
  }

  get notFound(): boolean {
    return this.code === grpc.status.NOT_FOUND;
  }

  get unimplemented(): boolean {
    return this.code === grpc.status.UNIMPLEMENTED;
  }
}
