/**
 * The operations endpoint: GET /metrics (Prometheus), /livez and /healthz (liveness: the event
 * loop answers and the agent is detecting), /readyz (readiness: live, and alerts reach the store
 * and every sink), /status (JSON detail per sink, store and sensor). Semantics: ./health.ts.
 *
 * Listens on 127.0.0.1 unless configured otherwise. With a token, /metrics and /status require
 * `Authorization: Bearer <token>`; the probes stay open so that kubelet and systemd need no
 * secret: they disclose check names and ok/failed only, never a reason.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { runChecks, type HealthSource } from './health.js';
import type { AgentMetrics } from './metrics.js';

export interface OpsServerOptions {
  /** host:port; IPv6 hosts in brackets ([::1]:9476). Port 0 picks a free port. */
  listen: string;
  /** Empty or undefined: no authentication. */
  token?: string;
  metrics: AgentMetrics;
  /** The agent's checks; absent: live while the server answers, ready once metrics say so. */
  health?: HealthSource;
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

/** True when no token is set or the request carries `Authorization: Bearer <token>`. */
export function authorized(req: IncomingMessage, token: string | undefined): boolean {
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

const PATHS = 'try /metrics, /livez, /healthz, /readyz, /status';

function route(req: IncomingMessage, res: ServerResponse, opts: OpsServerOptions): void {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://vigil');
  } catch {
    return reply(res, 400, 'bad request\n');
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'method not allowed\n');
  const health = opts.health;
  switch (url.pathname) {
    case '/metrics':
      if (!authorized(req, opts.token)) return refuse(res);
      opts.metrics.render().then(
        (text) => reply(res, 200, text, opts.metrics.contentType),
        (err: Error) => reply(res, 500, `metrics collection failed: ${err.message}\n`),
      );
      return;
    case '/livez':
    case '/healthz': {
      const r = runChecks('livez', health?.liveness() ?? [], url.searchParams);
      return reply(res, r.ok ? 200 : 503, r.body);
    }
    case '/readyz': {
      const checks = health
        ? [...health.liveness(), ...health.readiness()]
        : [{ name: 'probes', ok: opts.metrics.isReady() }];
      const r = runChecks('readyz', checks, url.searchParams);
      return reply(res, r.ok ? 200 : 503, r.body);
    }
    case '/status': {
      if (!authorized(req, opts.token)) return refuse(res);
      const body = health?.status() ?? { ready: opts.metrics.isReady() };
      return reply(res, 200, JSON.stringify(body, null, 2) + '\n', 'application/json');
    }
    default:
      return reply(res, 404, `not found: ${PATHS}\n`);
  }
}

export function refuse(res: ServerResponse): void {
  res.setHeader('www-authenticate', 'Bearer realm="vigil"');
  reply(res, 401, 'unauthorized\n');
}

/** A bound HTTP server and how to close it (connections included). */
export interface BoundServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on host:port; a failure is an OpsListenError naming `listen` and why. */
export async function listenHttp(
  server: Server,
  listen: string,
  host: string,
  port: number,
): Promise<BoundServer> {
  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => reject(new OpsListenError(listen, err));
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

export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const { host, port } = parseListen(opts.listen);
  const server = createServer((req, res) => route(req, res, opts));
  // Scrapes are small and short: bound what one slow client can hold.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxHeadersCount = 64;
  return listenHttp(server, opts.listen, host, port);
}
