/**
 * A CRI server for unit tests: grpc-js serving the vendored proto's RuntimeService on a unix
 * socket, answering from the containers and pods the test gives it, or never answering
 * (`stall`), as a runtime that hangs would.
 */
import * as grpc from '@grpc/grpc-js';
import { loadCriPackage } from '../../../src/sensor/runtime/cri-client.js';

export interface FakeContainer {
  status: Record<string, unknown>;
  info: Record<string, unknown>;
}

type Handler = (call: { request: Record<string, unknown> }, cb: grpc.sendUnaryData<unknown>) => void;

export class CriServer {
  readonly containers = new Map<string, FakeContainer>();
  readonly pods = new Map<string, Record<string, unknown>>();
  stall = false;
  calls = 0;
  private readonly server = new grpc.Server();

  private constructor(readonly socket: string) {}

  static async start(socket: string): Promise<CriServer> {
    const s = new CriServer(socket);
    const pkg = loadCriPackage();
    const answer =
      (fn: (req: Record<string, unknown>) => unknown): Handler =>
      (call, cb) => {
        s.calls++;
        if (s.stall) return; // never answers: the client's deadline ends the call
        const res = fn(call.request);
        if (res === undefined) cb({ code: grpc.status.NOT_FOUND, details: 'not found' });
        else cb(null, res);
      };
    s.server.addService(pkg.RuntimeService.service, {
      Version: answer(() => ({
        runtime_name: 'test-cri',
        runtime_version: '0.0.1',
        runtime_api_version: 'v1',
      })),
      ContainerStatus: answer((req) => {
        const c = s.containers.get(req.container_id as string);
        return c && { status: c.status, info: { info: JSON.stringify(c.info) } };
      }),
      PodSandboxStatus: answer((req) => {
        const p = s.pods.get(req.pod_sandbox_id as string);
        return p && { status: p, info: {} };
      }),
    });
    await new Promise<void>((resolve, reject) =>
      s.server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    return s;
  }

  stop(): void {
    this.server.forceShutdown();
  }
}
