/** What the hub's tests share: alerts as agents publish them, and calls to the hub's API. */
import { randomUUID } from 'node:crypto';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Alert } from '../../../src/event/alert.js';
import { startHub, type RunningHub } from '../../../src/hub/hub.js';
import { makeAlert } from '../../outputs/support/alerts.js';

export const TOKEN = 'test-token-0123456789abcdef';

/** An alert from `host`, numbered `seq`, with a random uuid. */
export function fleetAlert(host: string, seq: number, over: Partial<Alert> = {}): Alert {
  return makeAlert(seq, { uuid: randomUUID(), hostname: host, ...over });
}

/** The stream the agents publish to, as the contract says (docs/fleet.md); retried until JetStream answers. */
export async function createStream(nc: NatsConnection, replicas = 1, name = 'VIGIL'): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name, subjects: ['vigil.>'], num_replicas: replicas });
      return;
    } catch (err) {
      if (i >= 100) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Publishes as the agent's sink does: subject vigil.alerts.<host>, Nats-Msg-Id = the uuid. */
export async function publishAlerts(
  nc: NatsConnection,
  alerts: Alert[],
  msgId?: (a: Alert) => string,
): Promise<void> {
  const js = jetstream(nc);
  const acks = alerts.map((a) => {
    const h = headers();
    h.set('Nats-Msg-Id', msgId ? msgId(a) : a.uuid);
    return js.publish(`vigil.alerts.${a.hostname}`, JSON.stringify(a), { headers: h });
  });
  await Promise.all(acks);
}

/** Publishes raw payloads on an alert subject (malformed messages). */
export async function publishRaw(
  nc: NatsConnection,
  host: string,
  payloads: (string | Uint8Array)[],
): Promise<void> {
  const js = jetstream(nc);
  for (const p of payloads) await js.publish(`vigil.alerts.${host}`, p);
}

export interface ApiAnswer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** GET (or POST with a JSON body) on the hub, with the token unless another (or null) is given. */
export async function hubApi(
  base: string,
  path: string,
  opts: { token?: string | null; post?: unknown } = {},
): Promise<ApiAnswer> {
  const token = opts.token === undefined ? TOKEN : opts.token;
  const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
  const init: RequestInit = { headers };
  if (opts.post !== undefined) {
    init.method = 'POST';
    init.body = JSON.stringify(opts.post);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Plain text (probes, metrics).
  }
  return { status: res.status, body };
}

/** Every alert of the timeline, page after page (keyset), newest first. */
export async function allPages(base: string, query = '', limit = 50): Promise<Alert[]> {
  const out: Alert[] = [];
  let after: string | null = null;
  do {
    const q = new URLSearchParams(query);
    q.set('limit', String(limit));
    if (after) q.set('after', after);
    const r = await hubApi(base, `/api/alerts?${q}`);
    if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${JSON.stringify(r.body)}`);
    out.push(...(r.body.alerts as Alert[]));
    after = r.body.next;
  } while (after);
  return out;
}

const debug = process.env.VIGIL_TEST_DEBUG ? (m: string) => process.stderr.write(m + '\n') : () => {};
export const quietLog = { info: debug, warn: debug };

/** A hub on one test NATS server with its embedded SQLite store under `stateDir`. */
export function startTestHub(natsUrl: string, stateDir: string): Promise<RunningHub> {
  return startHub({
    listen: '127.0.0.1:0',
    nats: [natsUrl],
    stream: 'VIGIL',
    durable: 'vigil-hub',
    stateDir,
    token: TOKEN,
    retentionDays: 0,
    ackWaitMs: 30_000,
    replicas: 1,
    batch: 100,
    log: quietLog,
  });
}
