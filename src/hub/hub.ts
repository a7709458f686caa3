/**
 * `vigil hub` composed: the store (SQLite under the state directory, or PostgreSQL), the NATS
 * connection and the JetStream consumer, retention, and the HTTP listener (console, API, probes,
 * metrics). Liveness: the listener answers. Readiness: NATS connected, the consumer bound to the
 * stream, and the store's last commit succeeded.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import type { HealthCheck } from '../ops/index.js';
import { HubConsumer, type ConsumerLog } from './consumer.js';
import { startHubHttp, type HubHttpServer } from './http-server.js';
import { HubMetrics } from './metrics.js';
import { PostgresHubStore } from './postgres-store.js';
import { SqliteHubStore } from './sqlite-store.js';
import type { HubStore } from './store.js';

export interface HubOptions {
  listen: string;
  /** NATS server URLs. */
  nats: string[];
  /** A NATS credentials file (JWT + NKEY seed). */
  natsCreds?: string;
  /** A CA bundle to verify the NATS servers' TLS certificates. */
  natsCa?: string;
  stream: string;
  durable: string;
  /** `postgres://...`, else a SQLite file; undefined: `<stateDir>/hub.db`. */
  db?: string;
  stateDir: string;
  token: string;
  /** Alerts older than this many days are deleted; 0 keeps them all. */
  retentionDays: number;
  ackWaitMs: number;
  replicas: number;
  batch: number;
  log: ConsumerLog;
}

export interface RunningHub {
  readonly port: number;
  readonly host: string;
  readonly store: HubStore;
  stop(): Promise<void>;
}

export const isPostgresUrl = (db: string | undefined): boolean =>
  db !== undefined && /^postgres(ql)?:\/\//.test(db);

async function openStore(opts: HubOptions): Promise<HubStore> {
  if (isPostgresUrl(opts.db))
    return PostgresHubStore.open(opts.db!, (err) => opts.log.warn(`PostgreSQL: ${err.message}`));
  return new SqliteHubStore(opts.db ?? join(opts.stateDir, 'hub.db'));
}

async function connectNats(opts: HubOptions): Promise<NatsConnection> {
  return connect({
    servers: opts.nats,
    name: 'vigil-hub',
    maxReconnectAttempts: -1,
    waitOnFirstConnect: true,
    authenticator: opts.natsCreds ? credsAuthenticator(readFileSync(opts.natsCreds)) : undefined,
    tls: opts.natsCa ? { caFile: opts.natsCa } : undefined,
  });
}

function retention(store: HubStore, days: number, log: ConsumerLog): NodeJS.Timeout | undefined {
  if (days <= 0) return undefined;
  const sweep = () =>
    store.deleteBefore(Date.now() - days * 86_400_000).then(
      (n) => n > 0 && log.info(`retention: deleted ${n} alerts older than ${days} days`),
      (err: Error) => log.warn(`retention: ${err.message}`),
    );
  void sweep();
  return setInterval(() => void sweep(), 3_600_000).unref();
}

export async function startHub(opts: HubOptions): Promise<RunningHub> {
  const store = await openStore(opts);
  const metrics = new HubMetrics();
  const nc = await connectNats(opts);
  let natsUp = true;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') natsUp = false;
      else if (s.type === 'reconnect') natsUp = true;
    }
  })();
  const consumer = new HubConsumer(nc, store, metrics, { ...opts, lingerMs: 20 }, opts.log);
  consumer.start();
  const sweeper = retention(store, opts.retentionDays, opts.log);
  const readiness = (): HealthCheck[] => [
    { name: 'nats', ok: natsUp && !nc.isClosed() },
    { name: 'consumer', ok: consumer.bound },
    { name: 'store', ok: consumer.storeOk },
  ];
  let http: HubHttpServer;
  try {
    http = await startHubHttp({
      listen: opts.listen,
      token: opts.token,
      api: { store, nc, stream: opts.stream },
      metrics,
      liveness: () => [{ name: 'http', ok: true }],
      readiness,
      log: opts.log,
    });
  } catch (err) {
    await consumer.stop();
    await nc.close();
    await store.close();
    throw err;
  }
  return {
    host: http.host,
    port: http.port,
    store,
    async stop() {
      clearInterval(sweeper);
      await http.close();
      await consumer.stop();
      await nc.drain().catch(() => nc.close());
      await store.close();
    },
  };
}
