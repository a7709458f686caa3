/**
 * OutputsConfig: everything under `outputs:` in vigil.yaml (docs/outputs.md documents every key
 * with a full example per sink). A plain typed object: the config-file schema is validated
 * elsewhere; the sinks check what they need and throw OutputConfigError at start-up.
 */
import type { Priority } from '../event/alert.js';

/** A secret given inline, or the name of an environment variable holding it. */
export type Secret = string | { env: string };

export interface BatchConfig {
  /** Most items in one send. Default per sink (stdout 1000, http 500, slack 20, email 200). */
  maxSize?: number;
  /** How long the first queued alert may wait for others. Default per sink (stdout 0, slack 2000). */
  maxWaitMs?: number;
}

export interface RetryConfig {
  /** First backoff, doubled each attempt, with full jitter. Default 500. */
  initialMs?: number;
  /** Backoff ceiling. Default 30000. */
  maxMs?: number;
  /** Attempts before a batch is dropped; 0 = retry until delivered (the default). */
  maxAttempts?: number;
}

export interface RateLimitConfig {
  /** At most this many alerts of one rule per window reach the sink; the rest become a summary. */
  max: number;
  /** Default 60000. */
  windowMs?: number;
}

export interface SinkCommon {
  /** Unique name (the outbox records delivery under it). Default: the type, `-2`, `-3` when repeated. */
  name?: string;
  /** Only alerts of this priority or more severe. Default Debug (everything). */
  minPriority?: Priority;
  batch?: BatchConfig;
  retry?: RetryConfig;
  rateLimit?: RateLimitConfig;
  /** Identical alerts (same rule and output) within this window are suppressed. Default 0 (off). */
  dedupWindowMs?: number;
  /** Per-send timeout. Default 10000. */
  timeoutMs?: number;
  /** Alerts held in memory for this sink; beyond it a durable sink reads from the store. Default 10000. */
  queueSize?: number;
  /**
   * Delivery tracked in the outbox: resumed after restart, exactly once to an acknowledging
   * destination. Default true, except stdout.
   */
  durable?: boolean;
}

export interface StdoutSinkConfig extends SinkCommon {
  type: 'stdout';
  /** auto (default): human lines on a TTY, JSON lines otherwise. */
  format?: 'auto' | 'json' | 'text';
  /** Colours in text mode. Default: when stdout is a TTY. */
  color?: boolean;
}

export interface FileSinkConfig extends SinkCommon {
  type: 'file';
  /** JSON lines, one alert per line. */
  path: string;
  /** Rotate when the file would exceed this. Default 100 MiB. */
  maxBytes?: number;
  /** Rotated files kept (path.1 … path.N). Default 5. */
  keep?: number;
}

export interface TlsClientConfig {
  /** PEM file of the CA to trust (default: the system's). */
  caFile?: string;
  /** Default true. */
  rejectUnauthorized?: boolean;
}

export interface SlackSinkConfig extends SinkCommon {
  type: 'slack';
  /** Incoming-webhook URL (a secret: it carries the token). */
  webhookUrl: Secret;
  /** A batch of more than this many alerts is sent as one grouped message. Default 3. */
  groupAbove?: number;
  /** Optional display name / icon overrides (honoured by legacy webhooks only). */
  username?: string;
  iconEmoji?: string;
}

export interface EmailSinkConfig extends SinkCommon, TlsClientConfig {
  type: 'email';
  host: string;
  /** Default 587 for starttls and none, 465 for implicit. */
  port?: number;
  /** starttls (default, required: fails if the server does not offer it), implicit (SMTPS), none. */
  tls?: 'starttls' | 'implicit' | 'none';
  user?: string;
  password?: Secret;
  from: string;
  to: string[];
  /** Alerts this severe or more get a mail each; the rest go into a digest per batch. Default Critical. */
  immediatePriority?: Priority;
  /** Subject prefix. Default "[vigil]". */
  subjectPrefix?: string;
}

export interface SyslogSinkConfig extends SinkCommon, TlsClientConfig {
  type: 'syslog';
  host: string;
  /** Default 514 (udp, tcp) or 6514 (tls). */
  port?: number;
  /** Default udp. */
  protocol?: 'udp' | 'tcp' | 'tls';
  /** MSG part: the alert JSON (default) or CEF. */
  format?: 'json' | 'cef';
  /** Name (kern … local7) or number 0–23. Default local0. */
  facility?: string | number;
  /** APP-NAME. Default vigil. */
  appName?: string;
  /** HOSTNAME field. Default: the alert's hostname. */
  hostname?: string;
  /** Client certificate for mutual TLS. */
  certFile?: string;
  keyFile?: string;
  /** Messages longer than this are truncated (UDP datagrams, receivers' limits). Default 8192 udp, 65536 tcp. */
  maxMessageBytes?: number;
}

export interface HttpSinkConfig extends SinkCommon, TlsClientConfig {
  type: 'http';
  /** webhook (JSON array per batch), splunk-hec, elastic-bulk, or falco (one Falco-shaped alert per POST). */
  format?: 'webhook' | 'splunk-hec' | 'elastic-bulk' | 'falco';
  /** A secret when it carries a token. */
  url: Secret;
  /** Extra headers; values may be secrets. */
  headers?: Record<string, Secret>;
  /** Splunk HEC token (sent as `Authorization: Splunk <token>`). */
  token?: Secret;
  /** Basic auth (Elasticsearch, generic). */
  username?: string;
  password?: Secret;
  /** Elasticsearch API key (`Authorization: ApiKey <key>`). */
  apiKey?: Secret;
  /** Elasticsearch index (default vigil-alerts) or Splunk index (default: the token's). */
  index?: string;
  /** Splunk sourcetype. Default vigil:alert. */
  sourcetype?: string;
  /** JSONata expression applied to each alert (input: the alert JSON) to shape the payload. */
  transform?: string;
}

export type SinkConfig =
  StdoutSinkConfig | FileSinkConfig | SlackSinkConfig | EmailSinkConfig | SyslogSinkConfig | HttpSinkConfig;

export interface RetentionConfig {
  /** Alerts older than this are deleted. Default 30; 0 = keep. */
  maxAgeDays?: number;
  /** Oldest alerts deleted while the database uses more than this. Default 1024; 0 = no limit. */
  maxSizeMB?: number;
  /** How often retention runs. Default 600000 (10 min). */
  intervalMs?: number;
}

export interface StoreConfig {
  /** Default: defaultDbPath(). */
  path?: string;
  /** Default true. Without the store there is no outbox: delivery is best-effort, in memory. */
  enabled?: boolean;
  /**
   * normal (default): a committed alert survives the agent being killed; full: it also survives
   * power loss (an fsync per commit; slower).
   */
  synchronous?: 'normal' | 'full';
  retention?: RetentionConfig;
}

export interface OutputsConfig {
  store?: StoreConfig;
  /** Default: one stdout sink. */
  sinks?: SinkConfig[];
  /** Alerts committed in one transaction at most (a transaction also ends each event-loop turn). Default 1000. */
  commitBatch?: number;
  /** How long close() waits for sinks to drain. Default 5000. */
  closeTimeoutMs?: number;
}

/** /var/lib/vigil/alerts.db for root (the agent), ./vigil-alerts.db otherwise. */
export function defaultDbPath(): string {
  return process.getuid?.() === 0 ? '/var/lib/vigil/alerts.db' : './vigil-alerts.db';
}
