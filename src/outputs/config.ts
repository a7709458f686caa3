/**
 * OutputsConfig: everything under `outputs:` in vigil.yaml (docs/outputs.md documents every key
 * with a full example per sink). Keys are snake_case like the rest of the file. Secrets are plain
 * strings: the config loader has already replaced `${ENV:NAME}` references. What each key accepts
 * is checked by config-check.ts (at config load and again in openOutputs), which reports a mistake
 * as an OutputConfigError.
 */
import type { Priority } from '../event/alert.js';
import type { NatsConnectionConfig } from './sinks/nats-connect.js';

export interface BatchConfig {
  /** Most items in one send. Default per sink (stdout 1000, http 500, slack 20, email 200). */
  max_size?: number;
  /** How long the first queued alert may wait for others. Default per sink (stdout 0, slack 2000). */
  max_wait_ms?: number;
}

export interface RetryConfig {
  /** First backoff, doubled each attempt, with full jitter. Default 500. */
  initial_ms?: number;
  /** Backoff ceiling. Default 30000. */
  max_ms?: number;
  /** Attempts before a batch is dropped; 0 = retry until delivered (the default). */
  max_attempts?: number;
}

export interface RateLimitConfig {
  /** At most this many alerts of one rule per window reach the sink; the rest become a summary. */
  max: number;
  /** Default 60000. */
  window_ms?: number;
}

export interface SinkCommon {
  /** Unique name (the outbox records delivery under it). Default: the type, `-2`, `-3` when repeated. */
  name?: string;
  /** Only alerts of this priority or more severe. Default Debug (everything). */
  min_priority?: Priority;
  batch?: BatchConfig;
  retry?: RetryConfig;
  rate_limit?: RateLimitConfig;
  /** Identical alerts (same rule and output) within this window are suppressed. Default 0 (off). */
  dedup_window_ms?: number;
  /**
   * Least time between two sends, so a service with a rate limit is never flooded: what one send
   * cannot carry (batch.max_size) then goes out as "N more alerts from rule X" summaries.
   * Default 1000 for slack (one message per second per webhook), 0 (none) otherwise.
   */
  send_interval_ms?: number;
  /** Per-send timeout. Default 10000. */
  timeout_ms?: number;
  /** Alerts held in memory for this sink; beyond it a durable sink reads from the store. Default 10000. */
  queue_size?: number;
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
  max_bytes?: number;
  /** Rotated files kept (path.1 … path.N). Default 5. */
  keep?: number;
  /** json (default): the alert JSON; ocsf: an OCSF Detection Finding per line. */
  format?: 'json' | 'ocsf';
}

export interface TlsClientConfig {
  /** PEM file of the CA to trust (default: the system's). */
  ca_file?: string;
  /** Default true. */
  reject_unauthorized?: boolean;
}

export interface SlackSinkConfig extends SinkCommon {
  type: 'slack';
  /** Incoming-webhook URL (a secret: it carries the token). */
  webhook_url: string;
  /** A batch of more than this many alerts is sent as one grouped message. Default 3. */
  group_above?: number;
  /** Optional display name / icon overrides (honoured by legacy webhooks only). */
  username?: string;
  icon_emoji?: string;
}

export interface EmailSinkConfig extends SinkCommon, TlsClientConfig {
  type: 'email';
  host: string;
  /** Default 587 for starttls and none, 465 for implicit. */
  port?: number;
  /** starttls (default, required: fails if the server does not offer it), implicit (SMTPS), none. */
  tls?: 'starttls' | 'implicit' | 'none';
  user?: string;
  password?: string;
  from: string;
  to: string[];
  /** Alerts this severe or more get a mail each; the rest go into a digest per batch. Default Critical. */
  immediate_priority?: Priority;
  /** Subject prefix. Default "[vigil]". */
  subject_prefix?: string;
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
  app_name?: string;
  /** HOSTNAME field. Default: the alert's hostname. */
  hostname?: string;
  /** Client certificate for mutual TLS. */
  cert_file?: string;
  key_file?: string;
  /** Messages longer than this are truncated (UDP datagrams, receivers' limits). Default 8192 udp, 65536 tcp. */
  max_message_bytes?: number;
}

export interface HttpSinkConfig extends SinkCommon, TlsClientConfig {
  type: 'http';
  /**
   * webhook (JSON per batch or per alert), splunk-hec, elastic-bulk, falco (Falco's JSON output,
   * one alert per POST), otlp (OpenTelemetry logs, OTLP/HTTP JSON, one request per batch) or ocsf
   * (OCSF Detection Findings, as a webhook's body).
   */
  format?: 'webhook' | 'splunk-hec' | 'elastic-bulk' | 'falco' | 'otlp' | 'ocsf';
  /**
   * Webhook bodies: `array` (default), one JSON array per batch; `object`, one POST per alert
   * whose body is the alert (or the transform's result) alone, for single-event APIs.
   */
  body?: 'array' | 'object';
  /** A secret when it carries a token. */
  url: string;
  /** Extra headers (values are registered as secrets). */
  headers?: Record<string, string>;
  /** Splunk HEC token (sent as `Authorization: Splunk <token>`). */
  token?: string;
  /** Basic auth (Elasticsearch, generic). */
  username?: string;
  password?: string;
  /** Elasticsearch API key (`Authorization: ApiKey <key>`). */
  api_key?: string;
  /** Elasticsearch index (default vigil-alerts) or Splunk index (default: the token's). */
  index?: string;
  /** Splunk sourcetype. Default vigil:alert. */
  sourcetype?: string;
  /** JSONata expression applied to each alert (input: the alert JSON) to shape the payload. */
  transform?: string;
}

export interface NatsSinkConfig extends SinkCommon, NatsConnectionConfig {
  type: 'nats';
  /** JetStream stream the alerts go into. Default VIGIL. */
  stream?: string;
  /** Create the stream (capturing `vigil.>`) when it does not exist. Default true. */
  create_stream?: boolean;
  /** Replicas of a stream the sink creates (1, 3 or 5 in a cluster). Default 1. */
  replicas?: number;
  /** Dedup window of a stream the sink creates; at least 120000 (two minutes). Default 120000. */
  duplicate_window_ms?: number;
  /** The recorded events too, on `vigil.events.<hostname>` (for the hub's playground). Default off. */
  events?: NatsEventsConfig;
}

/** Events publishing: off the hot path, bounded, lossy under pressure (docs/fleet.md). */
export interface NatsEventsConfig {
  /** Default false. */
  enabled?: boolean;
  /** Only these event types (`evt.type` names). Default every type the agent receives. */
  types?: string[];
  /** One event in N is published (after the type filter). Default 1: every one. */
  sample?: number;
  /** Events waiting to be published, at most; past it they are dropped and counted. Default 10000. */
  queue_size?: number;
}

export type SinkConfig =
  | StdoutSinkConfig
  | FileSinkConfig
  | SlackSinkConfig
  | EmailSinkConfig
  | SyslogSinkConfig
  | HttpSinkConfig
  | NatsSinkConfig;

export interface RetentionConfig {
  /** Alerts older than this are deleted. Default 30; 0 = keep. */
  max_age_days?: number;
  /** Oldest alerts deleted while the database uses more than this. Default 1024; 0 = no limit. */
  max_size_mb?: number;
  /** How often retention runs. Default 600000 (10 min). */
  interval_ms?: number;
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
  commit_batch?: number;
  /** How long close() waits for sinks to drain. Default 5000. */
  close_timeout_ms?: number;
  /** The process environment in alerts: none (default), all (true) or the variables named. */
  alert_fields?: { env?: boolean | string[] };
}

/** /var/lib/vigil/alerts.db for root (the agent), ./vigil-alerts.db otherwise. */
export function defaultDbPath(): string {
  return process.getuid?.() === 0 ? '/var/lib/vigil/alerts.db' : './vigil-alerts.db';
}

/** A configuration mistake, reported at start-up before any alert flows. */
export class OutputConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputConfigError';
  }
}
