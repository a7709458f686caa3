/**
 * The JSON API under /api/ (every route requires the bearer token; ./http-server.ts checks it):
 * GET /api/alerts (the timeline, keyset pages), GET /api/alerts/:uuid (one alert with its process
 * ancestry, container and pod), GET /api/stats (counts over time and per rule, host, priority),
 * POST /api/playground (a rule run against published or uploaded events).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Alert } from '../event/alert.js';
import { BadParam, bucketOf, cursorOf, encodeCursor, filterOf, isUuid, limitOf } from './api-params.js';
import {
  compilePlayground,
  MAX_EVENTS,
  MAX_RULE_BYTES,
  runPlayground,
  uploadedEvents,
  type PlaygroundRequest,
  type PlaygroundResult,
} from './playground.js';
import type { HubStore } from './store.js';
import { streamEvents, type HostEvent } from './stream-events.js';

export interface ApiReply {
  status: number;
  /** Serialised as JSON, except `raw`: a JSON text already. */
  body?: unknown;
  raw?: string;
}

export interface ApiContext {
  store: HubStore;
  /** For the playground's published events; absent: only uploads. */
  nc?: NatsConnection;
  stream: string;
}

const fail = (status: number, error: string): ApiReply => ({ status, body: { error } });

async function alerts(ctx: ApiContext, q: URLSearchParams): Promise<ApiReply> {
  const page = await ctx.store.page(filterOf(q), limitOf(q), cursorOf(q));
  const next = page.next ? `"${encodeCursor(page.next)}"` : 'null';
  // The stored JSON texts are spliced as they are: no parse and serialise per alert.
  return { status: 200, raw: `{"alerts":[${page.alerts.join(',')}],"next":${next}}` };
}

/** The alert, and what the console's detail shows beside it. */
export function alertDetail(alert: Alert): Record<string, unknown> {
  const p = alert.event?.proc;
  const self = p ? [{ pid: p.pid, exe: p.exe, name: p.name, cmdline: p.cmdline }] : [];
  return {
    alert,
    ancestry: [...self, ...(p?.ancestors ?? [])],
    container: alert.event?.container ?? (p?.container_id ? { id: p.container_id } : null),
    pod: alert.event?.container?.pod ?? null,
  };
}

async function oneAlert(ctx: ApiContext, uuid: string): Promise<ApiReply> {
  if (!isUuid(uuid)) return fail(400, 'not a uuid');
  const json = await ctx.store.get(uuid);
  if (json === undefined) return fail(404, 'no such alert');
  return { status: 200, body: alertDetail(JSON.parse(json) as Alert) };
}

async function stats(ctx: ApiContext, q: URLSearchParams): Promise<ApiReply> {
  const now = Date.now();
  const f = filterOf(q, now);
  f.sinceMs ??= now - 86_400_000;
  return { status: 200, body: await ctx.store.stats(f, bucketOf(q, f, now), 10) };
}

function playgroundRequest(body: string): PlaygroundRequest | ApiReply {
  let r: unknown;
  try {
    r = JSON.parse(body);
  } catch {
    return fail(400, 'the body is not JSON');
  }
  const o = (typeof r === 'object' && r !== null ? r : {}) as Record<string, unknown>;
  if (typeof o.rule !== 'string' || o.rule.trim() === '')
    return fail(400, '"rule": the rule text is missing');
  if (Buffer.byteLength(o.rule) > MAX_RULE_BYTES)
    return fail(400, `"rule": more than ${MAX_RULE_BYTES} bytes`);
  if (o.events !== undefined && typeof o.events !== 'string') return fail(400, '"events": JSON lines text');
  const windowMs =
    typeof o.window_minutes === 'number' ? Math.min(Math.max(o.window_minutes, 1), 1440) * 60_000 : 3_600_000;
  return { rule: o.rule, events: o.events as string | undefined, windowMs, bundled: o.bundled !== false };
}

let playgroundBusy = false;

async function playground(ctx: ApiContext, body: string): Promise<ApiReply> {
  const req = playgroundRequest(body);
  if ('status' in req) return req;
  if (playgroundBusy) return fail(429, 'a playground run is in progress; try again');
  playgroundBusy = true;
  try {
    const rules = compilePlayground(req.rule, req.bundled);
    const empty = { events: 0, matched: 0, alerts: [], truncated: false };
    if (Array.isArray(rules)) return { status: 200, body: { ok: false, errors: rules, ...empty } };
    let events: HostEvent[];
    if (req.events !== undefined) {
      const up = uploadedEvents(req.events);
      if (!up.ok) return { status: 200, body: { ok: false, errors: up.errors, ...empty } };
      events = up.events.map((event) => ({ host: 'upload', event }));
    } else {
      if (ctx.nc === undefined) return fail(503, 'no NATS connection: upload a vigil record file instead');
      events = await streamEvents(ctx.nc, ctx.stream, req.windowMs ?? 3_600_000, MAX_EVENTS);
    }
    const result: PlaygroundResult = runPlayground(rules, events);
    return { status: 200, body: result };
  } finally {
    playgroundBusy = false;
  }
}

/** Answers one API request; `path` starts with /api/. */
export async function handleApi(ctx: ApiContext, method: string, url: URL, body: string): Promise<ApiReply> {
  const path = url.pathname;
  try {
    if (method === 'GET' && path === '/api/alerts') return await alerts(ctx, url.searchParams);
    if (method === 'GET' && path.startsWith('/api/alerts/')) return await oneAlert(ctx, path.slice(12));
    if (method === 'GET' && path === '/api/stats') return await stats(ctx, url.searchParams);
    if (method === 'POST' && path === '/api/playground') return await playground(ctx, body);
    return fail(404, 'try GET /api/alerts, /api/alerts/:uuid, /api/stats or POST /api/playground');
  } catch (err) {
    if (err instanceof BadParam) return fail(400, err.message);
    throw err;
  }
}
