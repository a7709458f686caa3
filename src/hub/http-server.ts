/**
 * The hub's one HTTP listener: the console's static files (./console/, no token needed to load
 * them: the page asks for it), the JSON API under /api/ and /metrics (both require `Authorization:
 * Bearer <token>`), and the open probes /livez and /readyz (check names and ok/failed only).
 * Strict headers: the console runs only its own script and style, in no frame.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { packageRoot } from '../config/paths.js';
import {
  authorized,
  listenHttp,
  parseListen,
  refuse,
  runChecks,
  type BoundServer,
  type HealthCheck,
} from '../ops/index.js';
import { handleApi, type ApiContext } from './api.js';
import type { HubMetrics } from './metrics.js';

/** The largest request body (a playground upload of recorded events). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

const ASSETS: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/console.js': ['console.js', 'text/javascript; charset=utf-8'],
  '/console.css': ['console.css', 'text/css; charset=utf-8'],
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface HubHttpOptions {
  listen: string;
  /** Empty: no authentication (only allowed on loopback; the CLI checks). */
  token: string;
  api: ApiContext;
  metrics: HubMetrics;
  liveness: () => HealthCheck[];
  readiness: () => HealthCheck[];
  log: { warn(msg: string): void };
}

export type HubHttpServer = BoundServer;

/** The console's files, read once. */
export function consoleDir(): string {
  return join(packageRoot(), 'src', 'hub', 'console');
}

function send(res: ServerResponse, status: number, body: string | Buffer, type: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type });
  res.end(body);
}

const json = (res: ServerResponse, status: number, body: string) =>
  send(res, status, body, 'application/json; charset=utf-8');

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        resolve(null);
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function api(req: IncomingMessage, res: ServerResponse, url: URL, opts: HubHttpOptions): Promise<void> {
  if (!authorized(req, opts.token)) {
    res.setHeader('www-authenticate', 'Bearer realm="vigil"');
    return json(res, 401, '{"error":"unauthorized: send Authorization: Bearer <token>"}');
  }
  const method = req.method ?? 'GET';
  const body = method === 'POST' ? await readBody(req) : '';
  if (body === null) return json(res, 413, `{"error":"the body is larger than ${MAX_BODY_BYTES} bytes"}`);
  const r = await handleApi(opts.api, method, url, body);
  json(res, r.status, r.raw ?? JSON.stringify(r.body));
}

function probe(res: ServerResponse, what: string, checks: HealthCheck[], q: URLSearchParams): void {
  const r = runChecks(what, checks, q);
  send(res, r.ok ? 200 : 503, r.body, 'text/plain; charset=utf-8');
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  opts: HubHttpOptions,
  files: Map<string, Buffer>,
) {
  const url = new URL(req.url ?? '/', 'http://vigil');
  const path = url.pathname;
  if (path.startsWith('/api/')) return api(req, res, url, opts);
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return send(res, 405, 'method not allowed\n', 'text/plain');
  if (path === '/livez' || path === '/healthz') return probe(res, 'livez', opts.liveness(), url.searchParams);
  if (path === '/readyz')
    return probe(res, 'readyz', [...opts.liveness(), ...opts.readiness()], url.searchParams);
  if (path === '/metrics') {
    if (!authorized(req, opts.token)) return refuse(res);
    return send(res, 200, await opts.metrics.render(), opts.metrics.contentType);
  }
  const asset = ASSETS[path];
  if (asset === undefined) return send(res, 404, 'not found\n', 'text/plain');
  send(res, 200, files.get(asset[0])!, asset[1]);
}

export async function startHubHttp(opts: HubHttpOptions): Promise<HubHttpServer> {
  const { host, port } = parseListen(opts.listen);
  const files = new Map(Object.values(ASSETS).map(([f]) => [f, readFileSync(join(consoleDir(), f))]));
  const server = createServer((req, res) => {
    route(req, res, opts, files).catch((err: Error) => {
      opts.log.warn(`${req.method} ${req.url?.split('?')[0]}: ${err.message}`);
      if (!res.headersSent) json(res, 500, JSON.stringify({ error: err.message }));
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  server.maxHeadersCount = 64;
  return listenHttp(server, opts.listen, host, port);
}
