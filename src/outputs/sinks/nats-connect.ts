/**
 * How vigil connects to NATS: the servers, the auth (token, user and password, NKEY seed, creds
 * file) and TLS (CA, client certificate) of a `nats` config, as the client's connection options.
 * Seed and creds files are read again at each (re)connect, so a rotated file is picked up. The
 * connection reconnects forever: while it is down, publishes fail and the outbox keeps the alerts.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import {
  credsAuthenticator,
  nkeyAuthenticator,
  type Authenticator,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import { redactUrl, type Redactor } from '../redactor.js';

/** The connection part of a `nats` sink's config (the hub takes the same keys). */
export interface NatsConnectionConfig {
  /** Server URLs (`nats://HOST:PORT`, `tls://HOST:PORT`); the client fails over between them. */
  servers: string[];
  token?: string;
  user?: string;
  password?: string;
  /** An NKEY user seed (`SU...`), or a file holding one. */
  nkey_seed?: string;
  nkey_seed_file?: string;
  /** A creds file (user JWT and seed) from `nsc` or an operator. */
  creds_file?: string;
  /** PEM CA to trust; a client certificate and key for mutual TLS. */
  ca_file?: string;
  cert_file?: string;
  key_file?: string;
  /** Connection name the server shows in its monitoring. Default `vigil <host name>`. */
  connection_name?: string;
}

/** `nats://host:port, ...` with no credentials, for messages. */
export function natsWhere(cfg: Pick<NatsConnectionConfig, 'servers'>): string {
  return cfg.servers.map((s) => redactUrl(s)).join(', ');
}

/** The config's secrets, for the redactor: a URL only when it carries credentials (a token is its user name). */
export function addNatsSecrets(cfg: NatsConnectionConfig, redactor: Redactor): void {
  for (const url of cfg.servers) {
    const u = URL.canParse(url) ? new URL(url) : undefined;
    if (!u || u.username === '') continue;
    redactor.addUrl(url);
    redactor.add(decodeURIComponent(u.username));
  }
  for (const s of [cfg.token, cfg.password, cfg.nkey_seed]) redactor.add(s);
}

function authenticators(cfg: NatsConnectionConfig): Authenticator[] {
  const out: Authenticator[] = [];
  if (cfg.nkey_seed !== undefined) {
    const seed = new TextEncoder().encode(cfg.nkey_seed.trim());
    out.push(nkeyAuthenticator(seed));
  } else if (cfg.nkey_seed_file !== undefined) {
    const file = cfg.nkey_seed_file;
    out.push(nkeyAuthenticator(() => new TextEncoder().encode(readFileSync(file, 'utf8').trim())));
  }
  if (cfg.creds_file !== undefined) {
    const file = cfg.creds_file;
    out.push(credsAuthenticator(() => new Uint8Array(readFileSync(file))));
  }
  return out;
}

/**
 * Credentials written in a server URL (`nats://user:pass@host`, `nats://token@host`) as the
 * config's own keys, and the URLs without them (the client would not use them, and errors show
 * the URLs).
 */
function urlCredentials(cfg: NatsConnectionConfig): NatsConnectionConfig {
  let out: NatsConnectionConfig = { ...cfg, servers: [] };
  for (const server of cfg.servers) {
    const u = new URL(server);
    if (u.username !== '' && out.user === undefined && out.token === undefined) {
      const name = decodeURIComponent(u.username);
      out =
        u.password !== ''
          ? { ...out, user: name, password: decodeURIComponent(u.password) }
          : { ...out, token: name };
    }
    u.username = '';
    u.password = '';
    out.servers.push(u.toString());
  }
  return out;
}

/** The client's options: reconnecting forever, first connect included. */
export function natsConnectOptions(config: NatsConnectionConfig, timeoutMs: number): NodeConnectionOptions {
  const cfg = urlCredentials(config);
  const tls =
    cfg.ca_file !== undefined || cfg.cert_file !== undefined
      ? { caFile: cfg.ca_file, certFile: cfg.cert_file, keyFile: cfg.key_file }
      : undefined;
  const auth = authenticators(cfg);
  return {
    servers: cfg.servers,
    name: cfg.connection_name ?? `vigil ${hostname()}`,
    token: cfg.token,
    user: cfg.user,
    pass: cfg.password,
    authenticator: auth.length > 0 ? auth : undefined,
    tls,
    timeout: timeoutMs,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
  };
}
