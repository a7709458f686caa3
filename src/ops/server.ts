/**
 * The operations endpoint: GET /metrics (Prometheus), /healthz (the agent's
 * event loop answers and its own checks pass), /readyz (every probe attached).
 *
 * Listens on 127.0.0.1 unless configured otherwise. With a token, /metrics
 * requires `Authorization: Bearer <token>`; /healthz and /readyz stay open so
 * that kubelet and systemd probes need no secret: they disclose only ok/not ok.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { AgentMetrics } from './metrics.js';

export interface HealthReport {
  ok: boolean;
  /** One line per problem, e.g. "sink slack failing for 5m". */
  problems?: string[];
}

export interface OpsServerOptions {
  /** host:port; IPv6 hosts in brackets ([::1]:9476). Port 0 picks a free port. */
  listen: string;
  /** Empty or undefined: no authentication. */
  token?: string;
  metrics: AgentMetrics;
  /** Extra liveness checks; /healthz is 200 when it returns ok (or when absent). */
  health?: () => HealthReport;
}

export interface OpsServer {
  /** The bound address (useful with port 0). */
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`bad listen address '${listen}': expected host:port`);
  return { host: m[1] ?? m[2], port };
}

// Compare digests so that neither the length nor the content of the token leaks through timing.
const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

function authorized(req: IncomingMessage, token: string | undefined): boolean {
  if (!token) return true;
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(header);
  return m !== null && timingSafeEqual(digest(m[1].trim()), digest(token));
}

function reply(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

/** The endpoint could not listen: one sentence, no stack trace (the agent adds the config key). */
export class OpsListenError extends Error {
  override name = 'OpsListenError';
  readonly code: string | undefined;
  constructor(listen: string, err: NodeJS.ErrnoException) {
    const why =
      err.code === 'EADDRINUSE'
        ? 'the port is in use (another vigil agent on this host?)'
        : err.code === 'EADDRNOTAVAIL'
          ? 'no such address on this host'
          : err.code === 'EACCES'
            ? 'permission denied'
            : err.message;
    super(`cannot listen on ${listen}: ${why}`);
    this.code = err.code;
  }
}

export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const { host, port } = parseListen(opts.listen);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'method not allowed\n');
    switch (path) {
      case '/metrics':
        if (!authorized(req, opts.token)) {
          res.setHeader('www-authenticate', 'Bearer realm="vigil"');
          return reply(res, 401, 'unauthorized\n');
        }
        opts.metrics.render().then(
          (text) => reply(res, 200, text, opts.metrics.contentType),
          (err: Error) => reply(res, 500, `metrics collection failed: ${err.message}\n`),
        );
        return;
      case '/healthz': {
        const report = opts.health?.() ?? { ok: true };
        return reply(
          res,
          report.ok ? 200 : 503,
          report.ok ? 'ok\n' : (report.problems ?? ['unhealthy']).join('\n') + '\n',
        );
      }
      case '/readyz':
        return opts.metrics.isReady()
          ? reply(res, 200, 'ready\n')
          : reply(res, 503, 'not ready: probes not attached\n');
      default:
        return reply(res, 404, 'not found: try /metrics, /healthz, /readyz\n');
    }
  });
  // Scrapes are small and short: bound what one slow client can hold.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxHeadersCount = 64;
  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => reject(new OpsListenError(opts.listen, err));
    server.once('error', failed);
    server.listen({ host, port }, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  return {
    host: addr.address,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
